"""``python -m lucid.demo``: the seed page's ``nn.Linear`` examples, with the correct numbers.

(The nn.Linear documentation page prints some of these wrongly: 75 where the math gives 63, and
gradients that are not what backpropagation gives. These are the values the math gives, and the
ones PyTorch computes.)
"""

import lucid
import lucid.nn as nn


def linear_examples():
    # Example 1: no bias, W = [[4, 5, 6], [7, 8, 9]], x = [[1, 2, 3]]
    x = lucid.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    linear = nn.Linear(in_features=3, out_features=2, bias=False)
    linear.weight.data = lucid.Tensor([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]).data
    out = linear(x)
    out.backward()
    print("Example 1: y = x W^T")
    print("  output      ", out)
    print("  input.grad  ", x.grad.tolist(), " (sum over outputs of W's rows)")
    print("  weight.grad ", linear.weight.grad.tolist())

    # Example 2: with bias, a batch of two
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
    print("  bias.grad   ", linear.bias.grad.tolist(), " (one per sample in the batch)")
    return out


def main():
    linear_examples()


if __name__ == "__main__":
    main()
