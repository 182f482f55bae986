"""``python -m lucid.demo``: train a small CNN on the digits that ship with Lucid.

It trains on the embedded UCI digits (8x8 images, 10 classes) with a progress bar showing loss
and accuracy, evaluates on the held-out split, saves a checkpoint (model and optimizer),
reloads it into a fresh model, checks that the reloaded model scores the same, and prints
``test accuracy: 0.9xxx`` as its last line. No network is needed.

``python -m lucid.demo --seed-page`` instead prints the nn.Linear page's examples with the
numbers the math gives (the page prints 75 where it is 63, and some gradients wrongly).
"""

import argparse
import os
import tempfile
import time

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
import lucid.optim as optim
from lucid.data import DataLoader, TensorDataset
from lucid.datasets import Digits
from lucid.utils import progress


class DigitsCNN(nn.Module):
    """conv(1->16) relu, conv(16->32) relu, maxpool 2, linear(512->64) relu, linear(64->10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.1),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def accuracy(model, images, labels, batch_size=256):
    """The fraction of ``images`` whose arg-max class equals the label (eval mode, no graph)."""
    was_training = model.training
    model.eval()
    correct = 0
    with lucid.no_grad():
        for start in range(0, len(labels), batch_size):
            logits = model(images[start:start + batch_size])
            correct += int((logits.argmax(axis=1) == labels[start:start + batch_size]).sum().item())
    model.train(was_training)
    return correct / len(labels)


def train(epochs=12, batch_size=32, lr=2e-3, seed=0, quiet=False, checkpoint_dir=None):
    """Train, evaluate, checkpoint, reload; return (test accuracy, reloaded test accuracy)."""
    lucid.random.seed(seed)
    train_x, train_y = Digits(train=True).tensors()
    test_x, test_y = Digits(train=False).tensors()
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=batch_size, shuffle=True)
    model = DigitsCNN()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    start = time.perf_counter()
    for epoch in range(epochs):
        bar = progress(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=quiet, leave=False)
        seen = correct = 0
        total_loss = 0.0
        for images, labels in bar:
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(labels)
            total_loss += loss.item() * len(labels)
            correct += int((logits.argmax(axis=1) == labels).sum().item())
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
        scheduler.step()
        if not quiet:
            print(f"epoch {epoch + 1:2d}: loss {total_loss / seen:.4f}, train accuracy "
                  f"{correct / seen:.4f}, lr {scheduler.get_last_lr()[0]:.2e}")
    elapsed = time.perf_counter() - start
    test_acc = accuracy(model, test_x, test_y)

    directory = checkpoint_dir or tempfile.mkdtemp(prefix="lucid-demo-")
    path = lucid.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                       "epoch": epochs}, os.path.join(directory, "digits_cnn.lcd"))
    checkpoint = lucid.load(path)
    reloaded = DigitsCNN()
    reloaded.load_state_dict(checkpoint["model"])
    optim.Adam(reloaded.parameters(), lr=lr).load_state_dict(checkpoint["optimizer"])
    reloaded_acc = accuracy(reloaded, test_x, test_y)
    if not quiet:
        print(f"trained {epochs} epochs in {elapsed:.1f} s; checkpoint saved to {path}")
        print(f"reloaded model: test accuracy {reloaded_acc:.4f} "
              f"({'same as' if reloaded_acc == test_acc else 'DIFFERENT from'} the trained one)")
    if reloaded_acc != test_acc:
        raise RuntimeError(f"the reloaded model scores {reloaded_acc}, the trained one {test_acc}")
    return test_acc, reloaded_acc


def seed_page():
    """The nn.Linear page's examples, with the values the math gives."""
    x = lucid.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    linear = nn.Linear(in_features=3, out_features=2, bias=False)
    linear.weight.data = lucid.Tensor([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]).data
    out = linear(x)
    out.backward()
    print("Example 1: y = x W^T")
    print("  output      ", out)
    print("  input.grad  ", x.grad.tolist())
    print("  weight.grad ", linear.weight.grad.tolist())
    x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    linear = nn.Linear(in_features=2, out_features=2, bias=True)
    linear.weight.data = lucid.Tensor([[5.0, 6.0], [7.0, 8.0]]).data
    linear.bias.data = lucid.Tensor([9.0, 10.0]).data
    out = linear(x)
    out.backward()
    print("Example 2: y = x W^T + b")
    print("  output      ", out, " (the page says 75; 3*7 + 4*8 + 10 = 63)")
    print("  input.grad  ", x.grad.tolist())
    print("  weight.grad ", linear.weight.grad.tolist())
    print("  bias.grad   ", linear.bias.grad.tolist())


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a small CNN on Lucid's embedded digits.")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")
    parser.add_argument("--seed-page", action="store_true",
                        help="print the nn.Linear page's examples instead of training")
    args = parser.parse_args(argv)
    if args.seed_page:
        seed_page()
        return None
    test_acc, _ = train(args.epochs, args.batch_size, args.lr, args.seed, args.quiet,
                        args.checkpoint_dir)
    print(f"test accuracy: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    main()
