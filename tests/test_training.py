"""End-to-end training: an MLP learns moons and xor with nn.losses and nn.optim, seeded."""

from __future__ import annotations

from nn import MLP, data, losses, optim
from nn.train import accuracy, fit


def test_mlp_learns_moons_to_97_percent_training_accuracy() -> None:
    # Accuracy is measured on the 100 training points: this checks that backprop + Adam can fit a
    # non-linear boundary, not how well it generalises.
    xs, ys = data.moons(n=100, noise=0.1, seed=0)
    targets = [[float(y)] for y in ys]
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(40):  # full-batch steps
        optimizer.zero_grad()
        c = losses.batch_loss(
            losses.binary_cross_entropy_with_logits, [model(x) for x in xs], targets
        )
        c.backward()
        optimizer.step()
        history.append(c.data)
    assert history[-1] < 0.5 * history[0]
    assert min(history[-5:]) < min(history[:5])
    # the linear output is the logit z^L, so class 1 means z^L > 0
    assert accuracy(model, xs, ys) >= 0.97


def test_mlp_learns_xor_exactly_with_fit() -> None:
    xs, ys = data.xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = fit(
        model, xs, ys, losses.binary_cross_entropy_with_logits, optimizer, 100, progress=False
    )
    assert len(history) == 100
    assert history[-1] < 0.1 * history[0]
    assert accuracy(model, xs, ys) == 1.0
    # xor is not linearly separable: the same fit without a hidden layer cannot reach 100%
    linear_model = MLP(2, [1], output_activation="linear", seed=0)
    fit(
        linear_model,
        xs,
        ys,
        losses.binary_cross_entropy_with_logits,
        optim.SGD(linear_model.parameters(), lr=0.5, momentum=0.9),
        100,
        progress=False,
    )
    assert accuracy(linear_model, xs, ys) <= 0.75
