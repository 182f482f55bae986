"""``lucid.transforms``: image transforms, as torchvision's, seeded through ``lucid.random``.

Each transform takes an image as an HWC (or HW) array, as datasets hand them out, or as a CHW
(or NCHW) Tensor, and returns the same kind it was given (``ToTensor`` excepted, which turns an
HWC uint8 array into a CHW float32 Tensor in [0, 1]). Random transforms draw from lucid.random's
default generator unless given ``generator=``. They are ``nn.Module``s (as in Lucid), and
``Compose`` takes any callable.
"""

from lucid.transforms.transforms import *  # noqa: F401,F403
from lucid.transforms.transforms import __all__  # noqa: F401
