"""Copy the public-domain and CC0 photographs that scikit-image bundles into data/images/.

A development tool, run once: ``.venv/bin/pip install scikit-image`` then
``.venv/bin/python tools/extract_sample_images.py``. scikit-image is not a
dependency of searchapp. Each file is copied byte for byte (no re-encoding)
and gets a caption sidecar ``NAME.txt``. The licence of each photograph is
stated in its ``skimage.data`` docstring; data/README.md cites them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "images"

# bundled file -> (name in data/images, caption)
PHOTOS = {
    "astronaut.png": (
        "astronaut.png",
        "Astronaut Eileen Collins in an orange NASA flight suit, smiling, with her helmet, "
        "the American flag and a model of the space shuttle behind her.",
    ),
    "chelsea.png": (
        "chelsea-the-cat.png",
        "Close-up of Chelsea, a tabby cat with green eyes, looking at the camera.",
    ),
    "coffee.png": (
        "coffee.png",
        "A cup of espresso on a red saucer with a spoon, on a wooden table.",
    ),
    "rocket.jpg": (
        "rocket-launch.jpg",
        "A SpaceX Falcon 9 rocket on the launch pad at dusk, lit between lightning towers, "
        "before the launch of the DSCOVR satellite.",
    ),
    "hubble_deep_field.jpg": (
        "hubble-deep-field.jpg",
        "The Hubble eXtreme Deep Field: thousands of distant galaxies scattered across "
        "the black of space.",
    ),
    "camera.png": (
        "cameraman.png",
        "Black-and-white photograph of a man in a dark coat looking through a camera on "
        "a tripod, on a grass field with buildings in the distance.",
    ),
    "clock_motion.png": (
        "clock.png",
        "A round wall clock blurred by camera motion, in grey tones.",
    ),
    "brick.png": ("brick-wall.png", "A brick wall seen at an angle, in black and white."),
    "grass.png": ("grass.png", "Close-up of blades of grass, in black and white."),
    "gravel.png": ("gravel.png", "Close-up of small gravel stones, in black and white."),
}


def main() -> None:
    import skimage

    bundled = Path(skimage.__file__).parent / "data"
    DATA.mkdir(parents=True, exist_ok=True)
    for source, (name, caption) in PHOTOS.items():
        shutil.copyfile(bundled / source, DATA / name)
        (DATA / name).with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
