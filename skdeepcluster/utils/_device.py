"""Resolution of the ``device`` parameter shared by every estimator."""

import torch

__all__ = ["resolve_device"]


def resolve_device(device):
    """Turn a user's ``device`` parameter into a concrete torch device string.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str or torch.device
        ``"auto"`` picks ``"cuda"`` when a CUDA device is visible, else ``"cpu"``.
        ``"cuda"`` and ``"cuda:N"`` must exist, or a :class:`RuntimeError` says so.

    Returns
    -------
    device : str
        A string accepted by :func:`torch.device`, e.g. ``"cpu"`` or ``"cuda:0"``.

    Raises
    ------
    ValueError
        If ``device`` is not a device specification at all.
    RuntimeError
        If the requested accelerator is not available on this machine.

    Examples
    --------
    >>> from skdeepcluster.utils import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None:
        device = "cpu"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}."
        )
    name = device.strip().lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}."
        ) from exc
    if dev.type == "cpu":
        return "cpu"
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine (torch.cuda.is_available() is False). Use device='cpu', or "
                "device='auto' to fall back to the CPU."
            )
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise RuntimeError(
                f"device={device!r} was requested but only {n} CUDA device(s) are "
                f"visible (valid: 'cuda:0'..'cuda:{n - 1}')."
            )
        return str(dev)
    raise RuntimeError(
        f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
    )
