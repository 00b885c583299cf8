"""Policy gradients on gymnasium's Acrobot-v1 with relaxtfp's estimators:
the machinery behind `benchmarks/acrobot.py` (several estimators, several
seeds, JSON reports). `examples/reinforce_acrobot.py` is the short version to
read first.

A categorical policy (an MLP from the 6 observations to 3 action logits) is
trained with one of

  reinforce  `relaxtfp.estimators.reinforce` with a per-time-step
             `MovingAverageBaseline` (one episode per update);
  rloo       the leave-one-out baseline of Kool et al. (2019) over
             `--num-samples` episodes per update;
  relax      `relaxtfp.estimators.relax` with a learned control variate
             c(s, z) of the state and the Gumbel-perturbed action logits
             (Grathwohl et al., 2018; one episode per update);
  a2c        an advantage actor-critic baseline: a learned value V(s)
             trained by mean squared error, advantage G_t - V(s_t), passed
             to `relaxtfp.estimators.reinforce` as its baseline.

What is estimated. For an episode s_0, a_0, r_1, ..., s_T the policy
gradient is estimated by

    sum_t (G_t - b_t) grad log pi(a_t | s_t),
    G_t = (1 - gamma) * sum_{k >= t} gamma^(k - t) r_{k+1},

the return-to-go G_t scaled by the constant (1 - gamma), so that it lies in
[-1, 0] on Acrobot (a fixed scale: no data-dependent normalisation, hence no
bias from it). In the estimators' language, time step t is one element of
the batch of categorical variables (logits of shape [n, T, 3] for n
episodes), the action a_t is the variable's sample and f_t is the observed
return G_t. An observed return cannot be re-evaluated at another action, so
the estimator must draw exactly the actions the agent took: the agent draws
a_t = argmax(logits_t + g_t) with Gumbel noise g that is generated, before
the episode, from the same stateless Philox seed and with the same shape as
the estimator's own draw, and the update calls the estimator with that
seed. The estimator then re-draws the same actions (checked at every update:
`replay_mismatches` in the JSON line counts steps where it did not; float
round-off between the batched and the single-step forward pass could flip an
exact tie, and none was seen in our runs), so its surrogate's gradient is
exactly the expression above.

  * reinforce: b_t is a moving average (decay 0.9) of G_t at time index t
    over earlier episodes; it is read before it is updated, so it does not
    depend on the current episode and the estimate is unbiased.
  * rloo: n episodes per update, b^i_t = mean_{j != i} G^j_t (the other
    episodes' return-to-go at the same time index, 0 after an episode has
    ended). The library's `relaxtfp.estimators.rloo` assumes n draws from ONE
    set of logits; n episodes visit different states, so the leave-one-out
    baseline is passed to `reinforce` as a baseline tensor, which is exactly
    the estimator of Kool et al. (2019) with time-indexed returns-to-go; it
    is unbiased because b^i does not depend on episode i.
  * relax: the RELAX estimator for every step,
    (G_t - c(s_t, z~_t)) grad log pi(a_t|s_t) + grad c(s_t, z_t) - grad c(s_t, z~_t),
    with z_t = logits_t + Gumbel noise (argmax z_t = a_t) and z~_t drawn
    given a_t; c is an MLP of [s_t, softmax(z)] trained to minimise the
    squared norm of the estimate with respect to the logits (the library's
    variance objective; a proxy for the variance with respect to the policy
    weights).
  * a2c: b_t = V(s_t) (the baseline depends only on the state, so the
    estimate stays unbiased); V is fitted to G_t by mean squared error.
    By default one update per episode, like the others; `--update-every N`
    makes it an n-step actor-critic (an update every N steps, the
    return-to-go of a chunk bootstrapped with V of the next state), and
    `--gae-lambda` mixes the n-step returns into TD(lambda) returns
    (generalized advantage estimation).

Episodes end on `terminated` OR `truncated` (the 500-step time limit of
Acrobot-v1; the reference demo ignored truncation). A truncated episode did
not reach the goal: for a2c its return-to-go is bootstrapped with
V(s_T) (gymnasium's distinction), the Monte Carlo estimators (reinforce,
rloo, relax) use the observed rewards only. Steps after the end of an
episode are padding: their returns are 0 and their logits carry no gradient.

Observations go to the networks as gymnasium gives them (cos and sin of the
two angles, the two angular velocities in rad/s); `--velocity-scale` divides
the velocities. An earlier version divided the observations by the bounds of
the observation space (velocities by 4 pi and 9 pi): the policy then barely
saw the velocities, on which a good Acrobot policy mostly depends, and the
running return stalled around -120 to -170 within 300 episodes. The policy's
Adam learning rate decays linearly from `--lr` to `--lr-final`.

Outputs: a progress bar with the running return (exponential moving average
with weight 0.05, initialised with the first episode), a PNG of the return
per episode across seeds (mean, min-max band, and the mean running return),
and one JSON line on stdout. Acrobot's reward threshold is -100; a run
"reaches" it at the first episode whose running return is >= -100.

Run from the repository root (one estimator, several seeds):

    python -m benchmarks.policy_gradient --estimator a2c --seeds 5 --output-dir out

`--smoke` runs 3 episodes capped at 50 steps (for the test suite).

References:
  Williams (1992), Simple statistical gradient-following algorithms for
  connectionist reinforcement learning.
  Kool, van Hoof and Welling (2019), Buy 4 REINFORCE Samples, Get a Baseline
  for Free! https://openreview.net/forum?id=r1lgTGL5DE
  Grathwohl, Choi, Wu, Roeder and Duvenaud (2018), Backpropagation through
  the Void. https://arxiv.org/abs/1711.00123
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ESTIMATORS = ("reinforce", "rloo", "relax", "a2c")
REWARD_THRESHOLD = -100.
RUNNING_WEIGHT = 0.05


# --------------------------------------------------------------------------
# Pure-Python helpers (tested in tests/test_policy_gradient.py).
# --------------------------------------------------------------------------

def discounted_returns(rewards, gamma, bootstrap=0.):
    """Returns-to-go G_t = sum_{k >= t} gamma^(k-t) r_k + gamma^(T-t) bootstrap.

    `rewards` has length T (r_k is the reward received after action k);
    `bootstrap` is the value of the state after the last step (0 when the
    episode terminated). Computed backwards in float64.
    """
    rewards = np.asarray(rewards, np.float64)
    out = np.empty_like(rewards)
    g = float(bootstrap)
    for t in range(rewards.size - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


def lambda_returns(rewards, values, bootstrap, gamma, lam):
    """TD(lambda) returns R_t = A_t + V(s_t), A_t the generalized advantage.

    `rewards` and `values` (V(s_t)) have length T; `bootstrap` is V of the
    state after the last step (0 when the episode terminated).
    delta_t = r_t + gamma V(s_{t+1}) - V(s_t) and
    A_t = delta_t + gamma lam A_{t+1} (Schulman et al., 2016). lam = 1 gives
    `discounted_returns(rewards, gamma, bootstrap)`; lam = 0 the one-step
    target r_t + gamma V(s_{t+1}). Computed backwards in float64.
    """
    rewards = np.asarray(rewards, np.float64)
    values = np.asarray(values, np.float64)
    if values.shape != rewards.shape:
        raise ValueError(f"values has shape {values.shape}; rewards {rewards.shape}.")
    next_values = np.append(values[1:], float(bootstrap))
    delta = rewards + gamma * next_values - values
    advantage = np.empty_like(rewards)
    a = 0.
    for t in range(rewards.size - 1, -1, -1):
        a = delta[t] + gamma * lam * a
        advantage[t] = a
    return advantage + values


def running_returns(episode_returns, weight=RUNNING_WEIGHT):
    """r_1 = R_1, r_k = weight * R_k + (1 - weight) * r_{k-1}."""
    out, r = [], None
    for x in episode_returns:
        r = float(x) if r is None else weight * float(x) + (1. - weight) * r
        out.append(r)
    return np.asarray(out, np.float64)


def episodes_to_threshold(running, threshold=REWARD_THRESHOLD):
    """1-based index of the first episode whose running return is >=
    `threshold`, or None if none is."""
    hits = np.flatnonzero(np.asarray(running) >= threshold)
    return int(hits[0]) + 1 if hits.size else None


def median_episodes(counts):
    """Median of per-seed episode counts, a run that never reached the
    threshold counting as infinitely many; None when the median is such a
    run."""
    values = sorted(math.inf if c is None else c for c in counts)
    if not values:
        return None
    n = len(values)
    mid = values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])
    return None if math.isinf(mid) else mid


def leave_one_out_mean(values):
    """b[i] = mean_{j != i} values[j] along axis 0 (at least 2 rows)."""
    values = np.asarray(values, np.float64)
    n = values.shape[0]
    if n < 2:
        raise ValueError(f"Leave-one-out needs at least 2 rows; got {n}.")
    return (values.sum(axis=0, keepdims=True) - values) / (n - 1)


# --------------------------------------------------------------------------
# The agent.
# --------------------------------------------------------------------------

def _load_relax():
    """The library's `relax` estimator, or a clear error if it is missing."""
    import relaxtfp.estimators as est
    if hasattr(est, "relax"):
        return est.relax
    try:
        from relaxtfp.estimators.rebar import relax
    except ImportError as e:
        raise SystemExit(
            "--estimator relax is not available: relaxtfp.estimators.relax "
            f"could not be imported ({e}).") from e
    return relax


def _mlp(hidden, outputs, seed, inputs):
    import keras
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(hidden, activation="tanh",
                           kernel_initializer=keras.initializers.GlorotUniform(seed)),
        keras.layers.Dense(outputs,
                           kernel_initializer=keras.initializers.GlorotUniform(seed + 1)),
    ])


class Agent:
    """Policy (and value or control-variate network) with a `tf.function`
    act step and a `tf.function` update on fixed-shape padded batches of
    `batch_episodes` episodes of at most `max_steps` steps."""

    def __init__(self, estimator, *, obs_dim, num_actions, max_steps,
                 batch_episodes, hidden, lr, seed, critic_steps=1, entropy=0.,
                 critic_lr=None):
        import keras
        import tensorflow as tf

        import relaxtfp
        from relaxtfp.internal import noise

        self.tf, self.noise, self.est = tf, noise, relaxtfp.estimators
        self.estimator = estimator
        self.critic_steps = int(critic_steps)
        self.entropy = float(entropy)
        self.k = num_actions
        self.shape = [batch_episodes, max_steps]
        self.relax = _load_relax() if estimator == "relax" else None
        self.policy = _mlp(hidden, num_actions, 10 * seed + 1, obs_dim)
        self.opt = keras.optimizers.Adam(lr)
        self.opt.build(self.policy.trainable_variables)
        self.aux = None
        if estimator == "reinforce":
            self.baseline = self.est.MovingAverageBaseline(
                decay=0.9, shape=[batch_episodes, max_steps])
        elif estimator == "a2c":
            self.aux = _mlp(hidden, 1, 10 * seed + 3, obs_dim)
        elif estimator == "relax":
            self.aux = _mlp(hidden, 1, 10 * seed + 3, obs_dim + num_actions)
        if self.aux is not None:
            self.aux_opt = keras.optimizers.Adam(critic_lr or lr)
            self.aux_opt.build(self.aux.trainable_variables)
        self.mismatches = 0
        self.replayed_steps = 0

        spec = tf.TensorSpec
        self.act = tf.function(self._act, input_signature=[
            spec([obs_dim], tf.float32), spec([num_actions], tf.float32)])
        self.action_noise = tf.function(self._action_noise, input_signature=[
            spec([2], tf.int32)])
        self.value = tf.function(self._value, input_signature=[
            spec([obs_dim], tf.float32)])
        self.values = tf.function(self._values, input_signature=[
            spec([max_steps, obs_dim], tf.float32)])
        self.update = tf.function(self._update, input_signature=[
            spec(self.shape + [obs_dim], tf.float32),
            spec(self.shape, tf.int32), spec(self.shape, tf.float32),
            spec(self.shape, tf.float32), spec([2], tf.int32),
            spec(self.shape, tf.float32)])

    # The noise the estimator will draw for logits of shape [n, T, K] with
    # this seed: `reinforce` draws Gumbel noise of shape [1, n, T, K];
    # `relax` splits the seed and draws its uniforms u with the first half.
    def _action_noise(self, seed):
        tf = self.tf
        shape = [1] + self.shape + [self.k]
        if self.estimator == "relax":
            u_seed, _ = self.noise.split_seed(seed, n=2)
            u = self.noise.uniform(shape, seed=u_seed, dtype=tf.float32)
            return -tf.math.log(-tf.math.log(u))[0]
        return self.noise.gumbel(shape, seed=seed, dtype=tf.float32)[0]

    def _act(self, obs, g):
        logits = self.policy(obs[None])[0]
        return self.tf.argmax(logits + g, output_type=self.tf.int32)

    def _value(self, obs):
        return self.aux(obs[None])[0, 0]

    def _values(self, states):
        return self.aux(states)[:, 0]

    def _update(self, states, actions, returns, mask, seed, loo):
        tf = self.tf
        n, t_max = self.shape
        flat = tf.reshape(states, [n * t_max, -1])
        onehot = tf.one_hot(actions, self.k)
        checks = []

        def f(b):  # b: [1, n, T, K], the estimator's one-hot draw.
            taken = tf.reduce_sum(b * onehot, axis=-1)
            checks.append(tf.reduce_sum(mask * (1. - taken[0])))
            return returns[None] * mask[None]  # The observed return G_t.

        with tf.GradientTape(persistent=True) as tape:
            logits = tf.reshape(self.policy(flat), [n, t_max, self.k])
            # Padding steps carry no gradient.
            logits = tf.where(mask[..., None] > 0., logits, tf.stop_gradient(logits))
            aux_loss = None
            if self.estimator == "reinforce":
                surrogate = self.est.reinforce(
                    f, logits, seed=seed, num_samples=1, categorical=True,
                    baseline=self.baseline)
            elif self.estimator == "rloo":
                surrogate = self.est.reinforce(
                    f, logits, seed=seed, num_samples=1, categorical=True,
                    baseline=tf.stop_gradient(loo))
            elif self.estimator == "a2c":
                values = tf.reshape(self.aux(flat), [n, t_max])
                surrogate = self.est.reinforce(
                    f, logits, seed=seed, num_samples=1, categorical=True,
                    baseline=tf.stop_gradient(values))
                aux_loss = (tf.reduce_sum(mask * tf.square(values - returns))
                            / tf.reduce_sum(mask))
            else:
                def control_variate(z):  # z: [2, n, T, K] -> [2, n, T]
                    s = tf.broadcast_to(states[None], [2, n, t_max, states.shape[-1]])
                    x = tf.concat([s, tf.math.softmax(z, axis=-1)], axis=-1)
                    c = tf.reshape(self.aux(tf.reshape(x, [2 * n * t_max, -1])),
                                   [2, n, t_max])
                    return c * mask[None]

                surrogate, aux_loss = self.relax(
                    f, logits, seed=seed, control_variate=control_variate,
                    num_samples=1, categorical=True)
            loss = -surrogate / float(n)
            if self.entropy:
                # Entropy bonus on the visited states (a regularizer: it
                # changes the objective, not the estimator).
                log_pi = tf.math.log_softmax(logits)
                entropy = -tf.reduce_sum(tf.exp(log_pi) * log_pi, axis=-1)
                loss -= self.entropy * tf.reduce_sum(mask * entropy) / float(n)
        grads = tape.gradient(loss, self.policy.trainable_variables)
        self.opt.apply_gradients(zip(grads, self.policy.trainable_variables))
        if aux_loss is not None:
            aux_grads = tape.gradient(aux_loss, self.aux.trainable_variables)
            self.aux_opt.apply_gradients(zip(aux_grads, self.aux.trainable_variables))
        del tape
        # Further value-regression steps on this batch (a2c). They follow the
        # policy step, so the baseline used above did not see this batch.
        for _ in range(self.critic_steps - 1 if self.estimator == "a2c" else 0):
            with tf.GradientTape() as tape:
                values = tf.reshape(self.aux(flat), [n, t_max])
                aux_loss = (tf.reduce_sum(mask * tf.square(values - returns))
                            / tf.reduce_sum(mask))
            aux_grads = tape.gradient(aux_loss, self.aux.trainable_variables)
            self.aux_opt.apply_gradients(zip(aux_grads, self.aux.trainable_variables))
        return tf.add_n(checks), tf.reduce_sum(mask)


def train_seed(args, seed, progress=None):
    """Trains one policy; returns the list of undiscounted episode returns.

    Updates come every `chunk` steps: `chunk = --update-every` for a2c (an
    n-step actor-critic: the return-to-go of a chunk that did not end the
    episode is bootstrapped with V of the next state), and a whole episode
    (`chunk = --max-steps`) for the Monte Carlo estimators, whose return must
    be observed to the end. rloo collects `--num-samples` whole episodes per
    update.
    """
    import gymnasium as gym
    import tensorflow as tf

    max_steps = args.max_steps
    env = gym.make("Acrobot-v1", max_episode_steps=max_steps)
    # Observations: cos/sin of the two angles as they are, angular
    # velocities divided by --velocity-scale.
    obs_scale = np.ones(env.observation_space.shape, np.float32)
    obs_scale[4:] = args.velocity_scale
    n = args.num_samples if args.estimator == "rloo" else 1
    chunk = min(args.update_every, max_steps) if args.estimator == "a2c" else max_steps
    agent = Agent(args.estimator, obs_dim=int(env.observation_space.shape[0]),
                  num_actions=int(env.action_space.n), max_steps=chunk,
                  batch_episodes=n, hidden=args.hidden, lr=args.lr, seed=seed,
                  critic_steps=args.critic_steps, entropy=args.entropy,
                  critic_lr=args.critic_lr)
    scale = 1. - args.gamma
    episode_returns, running = [], None
    reset_seed, updates = seed, 0

    def new_batch():
        batch_seed = tf.constant([1_000_003 * (seed + 1), updates], tf.int32)
        return (batch_seed, agent.action_noise(batch_seed).numpy(),
                np.zeros([n, chunk, obs_scale.size], np.float32),
                np.zeros([n, chunk], np.int32), np.zeros([n, chunk], np.float32),
                np.zeros([n, chunk], np.float32))

    def update(batch):
        nonlocal updates
        batch_seed, _, states, actions, returns, mask = batch
        # rloo's baseline: the other episodes' returns-to-go (0 after their end).
        loo = (leave_one_out_mean(returns).astype(np.float32) if n > 1
               else np.zeros_like(returns))
        bad, steps = agent.update(states, actions, returns, mask, batch_seed, loo)
        agent.mismatches += int(bad)
        agent.replayed_steps += int(steps)
        updates += 1

    num_episodes = math.ceil(args.episodes / n) * n
    batch = new_batch()
    for episode in range(num_episodes):
        i = episode % n
        if args.lr_final != args.lr:
            # Linear decay from --lr to --lr-final over the run's episodes.
            frac = episode / max(num_episodes - 1, 1)
            agent.opt.learning_rate.assign(args.lr + frac * (args.lr_final - args.lr))
        obs, _ = env.reset(seed=reset_seed)
        reset_seed = None
        total, done, t = 0., False, 0
        while not done:
            _, g, states, actions, returns, mask = batch
            rewards = []
            for t in range(chunk):
                s = obs.astype(np.float32) / obs_scale
                a = int(agent.act(s, g[i, t]))
                states[i, t], actions[i, t], mask[i, t] = s, a, 1.
                obs, reward, terminated, truncated, _ = env.step(a)
                rewards.append(reward)
                if terminated or truncated:
                    break
            done = terminated or truncated
            total += float(np.sum(rewards))
            bootstrap = 0.
            # A chunk that did not end in the goal state: a2c bootstraps its
            # return-to-go with V(next state) (truncation is not termination).
            if not terminated and args.estimator == "a2c":
                s = obs.astype(np.float32) / obs_scale
                bootstrap = float(agent.value(s))
            if args.estimator == "a2c":
                # The critic works on the scaled returns; TD(lambda) targets.
                values = agent.values(states[i]).numpy()[:len(rewards)]
                returns[i, :len(rewards)] = lambda_returns(
                    scale * np.asarray(rewards), values, bootstrap, args.gamma, args.gae_lambda)
            else:
                returns[i, :len(rewards)] = scale * discounted_returns(rewards, args.gamma)
            if n == 1 or (done and i == n - 1):
                update(batch)
                batch = new_batch()
        episode_returns.append(total)
        running = total if running is None else (
            RUNNING_WEIGHT * total + (1. - RUNNING_WEIGHT) * running)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(seed=seed, running=f"{running:.1f}", last=f"{total:.0f}")
    env.close()
    return episode_returns[:args.episodes], agent.mismatches, agent.replayed_steps


def plot(path, estimator, all_returns):
    """Return per episode across seeds: each seed's running return, their
    median, and the min-max band of the episode returns."""
    r = np.asarray(all_returns, np.float64)            # [seeds, episodes]
    x = np.arange(1, r.shape[1] + 1)
    run = np.stack([running_returns(row) for row in r])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(x, r.min(0), r.max(0), alpha=0.15, color="C0",
                    label=f"episode return, min-max over {r.shape[0]} seed(s)")
    for i, row in enumerate(run):
        ax.plot(x, row, color="C0", lw=0.8, alpha=0.7,
                label="running return (EMA 0.05), each seed" if i == 0 else None)
    ax.plot(x, np.median(run, axis=0), color="C1", lw=2.2,
            label="running return, median over seeds")
    ax.axhline(REWARD_THRESHOLD, color="k", ls="--", lw=1, label="reward threshold -100")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_ylim(-510, 0)
    ax.set_title(f"Acrobot-v1, {estimator}")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.policy_gradient",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--estimator", choices=ESTIMATORS, default="a2c",
                        help="reinforce: moving-average baseline, one episode per update; "
                             "rloo: leave-one-out baseline over --num-samples episodes; "
                             "relax: relaxtfp.estimators.relax with a learned control "
                             "variate; a2c: a learned value baseline V(s)")
    parser.add_argument("--episodes", type=int, default=300, help="episodes per seed")
    parser.add_argument("--seeds", type=int, default=1,
                        help="number of seeds (see --first-seed)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed, first-seed + 1, ...")
    parser.add_argument("--lr", type=float, default=0.01,
                        help="Adam learning rate (policy, value and control variate)")
    parser.add_argument("--lr-final", type=float, default=5e-4,
                        help="decay the policy's learning rate linearly from --lr to this "
                             "value over the episodes (equal to --lr: constant)")
    parser.add_argument("--velocity-scale", type=float, default=1.,
                        help="divide the two angular velocities by this before the networks")
    parser.add_argument("--gae-lambda", type=float, default=1.,
                        help="a2c: lambda of the TD(lambda) returns (1: n-step returns)")
    parser.add_argument("--critic-lr", type=float,
                        help="Adam learning rate of the value / control-variate network "
                             "(default: --lr)")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount factor")
    parser.add_argument("--hidden", type=int, default=64,
                        help="hidden units of the policy (and value) MLP")
    parser.add_argument("--num-samples", type=int, default=4,
                        help="episodes per update for rloo (>= 2)")
    parser.add_argument("--critic-steps", type=int, default=1,
                        help="a2c: value-regression steps per episode")
    parser.add_argument("--update-every", type=int, default=500,
                        help="a2c: steps per update (n-step returns bootstrapped with V; "
                             "the Monte Carlo estimators always update per episode)")
    parser.add_argument("--entropy", type=float, default=0.,
                        help="weight of an entropy bonus on the visited states")
    parser.add_argument("--max-steps", type=int, default=500,
                        help="time limit of an episode (Acrobot-v1: 500)")
    parser.add_argument("--output-dir", default="reinforce_acrobot_output",
                        help="folder of the PNG and of the returns JSON")
    parser.add_argument("--smoke", action="store_true",
                        help="3 episodes capped at 50 steps (for the test suite)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.episodes, args.max_steps, args.seeds = 3, 50, 1
    if args.estimator == "rloo" and args.num_samples < 2:
        parser.error("--num-samples must be >= 2 for rloo")
    return args


def run(args, progress_file=sys.stderr):
    from tqdm import tqdm

    if args.estimator == "relax":
        _load_relax()
    os.makedirs(args.output_dir, exist_ok=True)
    start = time.perf_counter()
    all_returns, to_threshold, final, mismatches, steps = [], [], [], 0, 0
    per_update = args.num_samples if args.estimator == "rloo" else 1
    total = args.seeds * math.ceil(args.episodes / per_update) * per_update
    with tqdm(total=total, desc=f"{args.estimator}",
              unit="ep", file=progress_file) as progress:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            returns, bad, n_steps = train_seed(args, seed, progress)
            running = running_returns(returns)
            all_returns.append(returns)
            to_threshold.append(episodes_to_threshold(running))
            final.append(round(float(running[-1]), 2))
            mismatches += bad
            steps += n_steps
    seconds = time.perf_counter() - start
    png = os.path.join(args.output_dir, f"acrobot_{args.estimator}.png")
    plot(png, args.estimator, all_returns)
    with open(os.path.join(args.output_dir, f"acrobot_{args.estimator}_returns.json"),
              "w") as fh:
        json.dump(all_returns, fh)
    return {
        "estimator": args.estimator, "seeds": args.seeds, "first_seed": args.first_seed,
        "episodes": args.episodes,
        "max_steps": args.max_steps, "lr": args.lr, "gamma": args.gamma,
        "hidden": args.hidden,
        "num_samples": args.num_samples if args.estimator == "rloo" else 1,
        "episodes_to_threshold": to_threshold,
        "median_episodes_to_threshold": median_episodes(to_threshold),
        "final_running_return": final,
        "replay_mismatches": mismatches, "replayed_steps": steps,
        # The figure's file name: it lies next to the JSON written from this.
        "seconds": round(seconds, 1), "plot": os.path.basename(png),
    }


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result))
    if result["replay_mismatches"] > 1e-3 * max(result["replayed_steps"], 1):
        print("error: the estimator did not re-draw the actions taken "
              f"({result['replay_mismatches']} of {result['replayed_steps']} steps)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
