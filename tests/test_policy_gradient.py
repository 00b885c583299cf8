"""The pure-Python helpers of `benchmarks/policy_gradient.py` (returns-to-go,
running return, episodes to the threshold, leave-one-out mean). Its training
runs end to end in `tests/test_acrobot_benchmark.py`."""

import math

import numpy as np
import pytest

from benchmarks import policy_gradient as ex


def test_discounted_returns_matches_the_direct_sum():
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=17)
    gamma, bootstrap = 0.9, 2.5
    got = ex.discounted_returns(rewards, gamma, bootstrap)
    t_end = rewards.size
    want = [sum(gamma ** (k - t) * rewards[k] for k in range(t, t_end))
            + gamma ** (t_end - t) * bootstrap for t in range(t_end)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_discounted_returns_acrobot_closed_form():
    # Reward -1 for each of T steps, no bootstrap: G_t = -(1 - g^(T-t)) / (1 - g).
    gamma, t_end = 0.99, 500
    got = ex.discounted_returns(-np.ones(t_end), gamma)
    t = np.arange(t_end)
    np.testing.assert_allclose(got, -(1. - gamma ** (t_end - t)) / (1. - gamma), rtol=1e-12)
    assert ex.discounted_returns([], gamma).shape == (0,)


def test_running_returns_starts_at_the_first_episode():
    got = ex.running_returns([-500., -100., -100.], weight=0.05)
    np.testing.assert_allclose(got, [-500., -480., -461.])


def test_episodes_to_threshold_is_one_based_and_none_when_missed():
    assert ex.episodes_to_threshold([-300., -101., -100., -90.], -100.) == 3
    assert ex.episodes_to_threshold([-300., -101.], -100.) is None


def test_median_episodes_counts_missed_runs_as_infinite():
    assert ex.median_episodes([100, None, 50]) == 100
    assert ex.median_episodes([100, None, None]) is None
    assert ex.median_episodes([10, 20, 40, None]) == 30
    assert ex.median_episodes([]) is None
    assert not math.isinf(ex.median_episodes([1, 2]))


def test_leave_one_out_mean():
    values = np.array([[1., 4.], [2., 0.], [6., 2.]])
    np.testing.assert_allclose(ex.leave_one_out_mean(values),
                               [[4., 1.], [3.5, 3.], [1.5, 2.]])
    with pytest.raises(ValueError, match="at least 2"):
        ex.leave_one_out_mean(values[:1])


def test_lambda_returns_limits():
    rng = np.random.default_rng(1)
    rewards, values = rng.normal(size=12), rng.normal(size=12)
    gamma, bootstrap = 0.95, -0.7
    # lambda = 1: the discounted return with the same bootstrap (values cancel).
    np.testing.assert_allclose(ex.lambda_returns(rewards, values, bootstrap, gamma, 1.),
                               ex.discounted_returns(rewards, gamma, bootstrap), rtol=1e-12)
    # lambda = 0: the one-step target r_t + gamma V(s_{t+1}).
    next_values = np.append(values[1:], bootstrap)
    np.testing.assert_allclose(ex.lambda_returns(rewards, values, bootstrap, gamma, 0.),
                               rewards + gamma * next_values, rtol=1e-12)


def test_lambda_returns_is_the_lambda_weighted_mix_of_n_step_returns():
    rng = np.random.default_rng(2)
    t_end = 6
    rewards, values = rng.normal(size=t_end), rng.normal(size=t_end)
    gamma, lam, bootstrap = 0.9, 0.7, 0.3
    v_next = np.append(values, bootstrap)  # V(s_0), ..., V(s_T)

    def n_step(t, n):  # sum_{k<n} gamma^k r_{t+k} + gamma^n V(s_{t+n}), n <= T - t
        return sum(gamma ** k * rewards[t + k] for k in range(n)) + gamma ** n * v_next[t + n]

    want = []
    for t in range(t_end):
        horizon = t_end - t
        mix = sum((1 - lam) * lam ** (n - 1) * n_step(t, n) for n in range(1, horizon))
        want.append(mix + lam ** (horizon - 1) * n_step(t, horizon))
    np.testing.assert_allclose(ex.lambda_returns(rewards, values, bootstrap, gamma, lam),
                               want, rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        ex.lambda_returns(rewards, values[:-1], bootstrap, gamma, lam)
