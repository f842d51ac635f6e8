"""Denoising spectrum images with a self-trained convolutional autoencoder (RapidEELS).

:func:`autoencoder` trains a small 1-D convolutional autoencoder on the user's
own spectrum image (targets: averages of neighbouring pixels, or a
longer-exposure companion spectrum image), returns the denoised signal, the
latent maps and the model, and can compare itself with PCA.
:func:`classify_latent` (or ``result.classify``) separates phases or states
from the latent maps given a few labelled pixels.

Importing this module does not import TensorFlow; the functions do.
"""

from ._autoencoder import AutoencoderResult, autoencoder, load_autoencoder
from ._classify import LatentClassification, classify_latent
from ._targets import default_block

__all__ = [
    "AutoencoderResult",
    "LatentClassification",
    "autoencoder",
    "classify_latent",
    "default_block",
    "load_autoencoder",
]
