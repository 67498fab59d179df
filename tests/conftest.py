import pytest
import torch


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module's tiny networks on one torch thread (no OpenMP
    oversubscription on a shared 2-core CI machine), restoring the count after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
