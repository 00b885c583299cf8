"""REINFORCE on gymnasium's Acrobot-v1 with `relaxtfp.estimators`.

    python examples/reinforce_acrobot.py                        # a2c baseline, 300 episodes
    python examples/reinforce_acrobot.py --estimator reinforce  # moving-average baseline

A policy MLP maps Acrobot's 6 observations to 3 action logits. The agent
plays an episode, drawing each action from the policy,
`tfd.Categorical(logits=policy(s_t)).sample(seed=...)`, and records the
states, actions and rewards. After the episode it scores the actions it
took: the policy gradient

    sum_t (G_t - b_t) grad log pi(a_t | s_t),
    G_t = (1 - gamma) * sum_{k >= t} gamma^(k - t) r_{k+1},

is the gradient of the surrogate that
`relaxtfp.estimators.score_function_surrogate(G, logits, one_hot(a),
categorical=True, baseline=b)` returns for the episode's logits (one
categorical variable per time step) and the observed return-to-go G_t.

The baseline b_t: `--estimator reinforce` uses `MovingAverageBaseline`, a
moving average of G_t for each time index t over earlier episodes; `a2c`
uses a value network V(s_t) trained by mean squared error on G_t. Neither
depends on the current episode's actions, so the estimate stays unbiased.

Output: a progress bar with the running return (exponential moving average,
weight 0.05), `acrobot_<estimator>.png` (the return per episode) in
`--output-dir`, and one JSON line. Acrobot's reward threshold is -100. The
multi-seed benchmark of every estimator (rloo, relax and n-step a2c too) is
`benchmarks/acrobot.py`.
"""

import argparse
import json
import os


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--estimator", choices=("a2c", "reinforce"), default="a2c",
                   help="the baseline of reinforce: a2c, a learned value V(s); reinforce, "
                        "a moving average of the return-to-go at each time index")
    p.add_argument("--episodes", type=int, default=300, help="training episodes")
    p.add_argument("--lr", type=float, default=0.01,
                   help="Adam learning rate, decayed linearly to 5e-4 over the episodes")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, noise and env")
    p.add_argument("--output-dir", default="reinforce_acrobot_output", help="folder of the PNG")
    p.add_argument("--smoke", action="store_true",
                   help="3 episodes capped at 50 steps (for the test suite)")
    return p.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow is imported: --help answers at once.

# Silences TensorFlow's start-up messages except the oneDNN notice, which
# is printed before this applies (README, "Troubleshooting").
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import gymnasium as gym  # noqa: E402
import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402
from tqdm import tqdm  # noqa: E402

import relaxtfp  # noqa: E402

tfd = tfp.distributions

GAMMA = 0.99


def mlp(outputs, seed):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(64, activation="tanh", kernel_initializer=init(seed)),
        keras.layers.Dense(outputs, kernel_initializer=init(seed + 1))])


def main(args):
    keras.utils.set_random_seed(args.seed)
    max_steps = 50 if args.smoke else 500   # Acrobot-v1's time limit: 500 steps
    episodes = 3 if args.smoke else args.episodes
    env = gym.make("Acrobot-v1", max_episode_steps=max_steps)
    policy, optimizer = mlp(3, 10 * args.seed + 1), keras.optimizers.Adam(args.lr)
    value, value_optimizer = mlp(1, 10 * args.seed + 3), keras.optimizers.Adam(args.lr)
    moving_average = relaxtfp.estimators.MovingAverageBaseline(decay=0.9, shape=[max_steps])

    @tf.function
    def act(obs, seed):
        """An action drawn from the policy at one observation."""
        return tfd.Categorical(logits=policy(obs[None])[0]).sample(seed=seed)

    @tf.function
    def update(states, actions, returns, mask):
        """One policy step (and one value step for a2c) on a padded episode."""
        with tf.GradientTape(persistent=True) as tape:
            logits = policy(states)                     # [T, 3]
            # Steps after the end of the episode are padding: no gradient.
            logits = tf.where(mask[:, None] > 0., logits, tf.stop_gradient(logits))
            v = value(states)[:, 0]
            baseline = tf.stop_gradient(v) if args.estimator == "a2c" else moving_average
            policy_loss = -relaxtfp.estimators.score_function_surrogate(
                (returns * mask)[None], logits, tf.one_hot(actions, 3)[None],
                categorical=True, baseline=baseline)
            value_loss = tf.reduce_sum(mask * tf.square(v - returns)) / tf.reduce_sum(mask)
        steps = [(policy, optimizer, policy_loss)]
        if args.estimator == "a2c":
            steps.append((value, value_optimizer, value_loss))
        for net, opt, loss in steps:
            opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables),
                                    net.trainable_variables))

    totals, runnings, running, steps = [], [], None, 0
    obs, _ = env.reset(seed=args.seed)
    with tqdm(range(episodes), desc=args.estimator, unit="episode") as bar:
        for episode in bar:
            optimizer.learning_rate.assign(
                args.lr + episode / max(episodes - 1, 1) * (5e-4 - args.lr))
            states = np.zeros([max_steps, 6], np.float32)
            actions, mask = np.zeros(max_steps, np.int32), np.zeros(max_steps, np.float32)
            rewards = []
            for t in range(max_steps):
                states[t], mask[t] = obs, 1.
                actions[t] = int(act(tf.constant(obs, tf.float32),
                                     tf.constant([args.seed, episode * max_steps + t])))
                obs, reward, terminated, truncated, _ = env.step(actions[t])
                rewards.append(reward)
                if terminated or truncated:
                    break
            returns = np.zeros(max_steps, np.float32)
            g = 0.
            for t in reversed(range(len(rewards))):   # the scaled return-to-go
                g = (1. - GAMMA) * rewards[t] + GAMMA * g
                returns[t] = g
            update(states, actions, returns, mask)
            totals.append(sum(rewards))
            steps += len(rewards)
            running = totals[-1] if running is None else 0.05 * totals[-1] + 0.95 * running
            runnings.append(running)
            bar.set_postfix(running=f"{running:.1f}", last=f"{totals[-1]:.0f}")
            obs, _ = env.reset()

    os.makedirs(args.output_dir, exist_ok=True)
    png = os.path.join(args.output_dir, f"acrobot_{args.estimator}.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(range(1, episodes + 1), totals, lw=0.8, label="episode return")
    ax.plot(range(1, episodes + 1), runnings, lw=2, label="running return (EMA 0.05)")
    ax.axhline(-100, color="k", ls="--", lw=1, label="reward threshold -100")
    ax.set(xlabel="episode", ylabel="return", title=f"Acrobot-v1, {args.estimator}")
    ax.legend(loc="lower right")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    reached = [i + 1 for i, r in enumerate(runnings) if r >= -100]
    print(json.dumps({"estimator": args.estimator, "episodes": episodes,
                      "final_running_return": round(running, 2),
                      "first_episode_running_return_at_-100": reached[0] if reached else None,
                      "steps": steps, "plot": os.path.basename(png)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(ARGS))
