"""The seed torch's generator starts from in a fresh interpreter, read before anything draws.

The fork server's warm-up draws numbers; each child restores this seed so that a solution that
never seeds itself still draws what a standalone `python` run would. A module of its own, so a
spawned child can read it without running the warm-up.
"""

import torch

INITIAL_SEED = torch.initial_seed()
