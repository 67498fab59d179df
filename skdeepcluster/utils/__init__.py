"""Shared machinery: device resolution, seeding, validation and skorch plumbing."""

from ._device import resolve_device
from ._random import draw_seeds, seeded, torch_generator, torch_seed
from ._kernels import cluster_means, squared_distances
from ._modules import mlp_layers
from ._autoencoders import (Autoencoder, LayerStack, conv_stacks, init_layers,
                            mlp_stack, xavier_init)
from ._skorch import (
    DeviceBatches,
    DeviceNet,
    EpochSeeder,
    RandomHoldout,
    as_device_tensor,
    early_stopping,
    make_net,
)
from ._kmeans import FAISS_MIN_SAMPLES, fit_kmeans
from ._graph import knn_indices, knn_spectral_clustering
from ._threads import cpu_threads
from ._validation import (check_input_shape, check_memory, check_n_clusters, final_step,
                          standard_scaling)

__all__ = [
    "Autoencoder",
    "LayerStack",
    "conv_stacks",
    "mlp_stack",
    "DeviceBatches",
    "DeviceNet",
    "cluster_means",
    "squared_distances",
    "EpochSeeder",
    "FAISS_MIN_SAMPLES",
    "RandomHoldout",
    "as_device_tensor",
    "check_input_shape",
    "check_memory",
    "check_n_clusters",
    "cpu_threads",
    "draw_seeds",
    "early_stopping",
    "final_step",
    "fit_kmeans",
    "init_layers",
    "knn_indices",
    "knn_spectral_clustering",
    "make_net",
    "mlp_layers",
    "resolve_device",
    "seeded",
    "standard_scaling",
    "torch_generator",
    "torch_seed",
    "xavier_init",
]
