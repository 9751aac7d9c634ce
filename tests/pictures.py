"""Real photographs (scikit-image's bundled samples, shipped in its wheel) and the edits a
photographer makes between two exports. Shared by the picture tests and
benchmarks/picture_calibration.py, so the README's table measures exactly what the tests assert.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageEnhance, ImageFilter

# name -> loader name in skimage.data; every one is a photograph (no drawings, no synthetic data)
PHOTOS = {
    "astronaut": "astronaut", "camera": "camera", "coffee": "coffee", "chelsea": "chelsea",
    "rocket": "rocket", "hubble": "hubble_deep_field", "ihc": "immunohistochemistry",
    "coins": "coins", "page": "page", "moon": "moon", "text": "text", "clock": "clock",
    "grass": "grass", "gravel": "gravel", "brick": "brick", "retina": "retina", "cell": "cell",
    "motorcycle_left": "motorcycle_left", "motorcycle_right": "motorcycle_right",
}


def photo(name: str) -> Image.Image:
    """One sample photograph as an RGB Pillow image (grey ones too, as a camera's JPEG would be)."""
    from skimage import data

    if name.startswith("motorcycle_"):
        left, right, _disparity = data.stereo_motorcycle()
        array = left if name.endswith("left") else right
    else:
        array = getattr(data, PHOTOS[name])()
    return Image.fromarray(array).convert("RGB")


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        options.setdefault("quality", 92)
    image.save(out, fmt, **options)
    return out.getvalue()


def reencode(image: Image.Image, fmt: str, **options) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, fmt, **options)))


def _srgb_to_linear(v: float) -> float:
    v /= 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(v: float) -> int:
    v = min(1.0, max(0.0, v))
    v = v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
    return round(v * 255)


def exposure(image: Image.Image, ev: float) -> Image.Image:
    """An exposure change as a raw developer makes it: in linear light, highlights clipped."""
    table = [_linear_to_srgb(_srgb_to_linear(v) * 2 ** ev) for v in range(256)]
    return image.point(table * len(image.getbands()))


def crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom))))


def resize(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.LANCZOS)


def red_filter_bw(image: Image.Image) -> Image.Image:
    """Black and white through a red filter: the channel mix photographers use for dark skies."""
    red = image.convert("RGB").getchannel("R")
    return Image.merge("RGB", (red, red, red))


def flickr_small(image: Image.Image) -> Image.Image:
    """Flickr's Small size (240 px on the long side), what the check fetches to compare with."""
    small = image.copy()
    small.thumbnail((240, 240), Image.Resampling.LANCZOS)
    return reencode(small, "JPEG", quality=80)


def noise_reduction(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.MedianFilter(5))


# Each edit keeps the picture; its name is what the README's table shows.
EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "exposure +0.7 EV": lambda im: exposure(im, 0.7),
    "exposure -0.7 EV": lambda im: exposure(im, -0.7),
    "saturation x1.6": lambda im: ImageEnhance.Color(im).enhance(1.6),
    "saturation x0.4": lambda im: ImageEnhance.Color(im).enhance(0.4),
    "black and white": lambda im: im.convert("L"),
    "black and white, red filter": red_filter_bw,
    "contrast x1.3": lambda im: ImageEnhance.Contrast(im).enhance(1.3),
    "sharpening": lambda im: im.filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=2)),
    "noise reduction": noise_reduction,
    "resize to half": lambda im: resize(im, 0.5),
    "JPEG quality 60": lambda im: reencode(im, "JPEG", quality=60),
    "PNG": lambda im: reencode(im, "PNG"),
    "TIFF": lambda im: reencode(im, "TIFF"),
    "crop 5 % each side": lambda im: crop(im, 0.05, 0.05, 0.05, 0.05),
    "crop 10 % one side": lambda im: crop(im, 0.10, 0, 0, 0),
    "Flickr's Small size (240 px)": flickr_small,
    "crop, half, -0.7 EV, q60": lambda im: reencode(exposure(resize(crop(im, 0.05, 0.05, 0.05, 0.05), 0.5), -0.7),
                                                  "JPEG", quality=60),
}


EXIF_IFD, DATE_TIME_ORIGINAL = 0x8769, 0x9003


def jpeg_bytes(image: Image.Image, taken: str | None = None, quality: int = 88, xmp: bytes | None = None,
               segments: tuple[bytes, ...] = ()) -> bytes:
    """A JPEG with `taken` as EXIF DateTimeOriginal ('YYYY:MM:DD HH:MM:SS'); `segments` go right after SOI."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = taken
    data = encode(image, "JPEG", quality=quality, exif=exif.tobytes(), **({"xmp": xmp} if xmp else {}))
    return data[:2] + b"".join(segments) + data[2:]


def export(path, name: str, *, taken: str | None = None, scale: float = 0.75, brighter: float = 1.15,
           xmp: bytes | None = None, segments: tuple[bytes, ...] = ()):
    """A new export of a photograph as an editor makes one: resized, brighter, re-encoded."""
    image = ImageEnhance.Brightness(resize(photo(name), scale)).enhance(brighter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(image, taken, xmp=xmp, segments=segments))
    return path


def straighten(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate, then crop to the largest upright rectangle of the same aspect inside the turned frame."""
    w, h = image.size
    a = math.radians(abs(degrees))
    factor = 1 / (math.cos(a) + max(w / h, h / w) * math.sin(a))  # both sides shrink by this
    turned = image.rotate(degrees, Image.Resampling.BICUBIC)
    cw, ch = w * factor, h * factor
    return turned.crop((round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2)))


def crop_area(image: Image.Image, keep: float, aspect: float | None = None, at: tuple[float, float] = (0.5, 0.5)):
    """A crop keeping `keep` of the area, `aspect` wide (the original's when None), its centre placed at
    `at` (0..1 of the free room on each axis: 0 left/top, 1 right/bottom)."""
    w, h = image.size
    aspect = aspect or w / h
    cw = math.sqrt(keep * w * h * aspect)
    ch = cw / aspect
    if cw > w:
        cw, ch = w, keep * h
    if ch > h:
        ch, cw = h, keep * w
    x0, y0 = (w - cw) * at[0], (h - ch) * at[1]
    return image.crop((round(x0), round(y0), round(x0 + cw), round(y0 + ch)))


def vignette(image: Image.Image, ev: float) -> Image.Image:
    """Corners darkened by `ev` stops in linear light, falling off smoothly from the centre."""
    import numpy as np

    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    linear *= (2.0 ** (ev * np.clip(r2 / 2, 0, 1)))[..., None]
    linear = np.clip(linear, 0, 1)
    out = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return Image.fromarray((out * 255 + 0.5).astype("uint8"))


def border(image: Image.Image, share: float = 0.05, colour: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    w, h = image.size
    pad = round(max(w, h) * share)
    framed = Image.new("RGB", (w + 2 * pad, h + 2 * pad), colour)
    framed.paste(image.convert("RGB"), (pad, pad))
    return framed


def watermark(image: Image.Image) -> Image.Image:
    """A semi-opaque text block in the lower right corner, as export presets add."""
    from PIL import ImageDraw

    marked = image.convert("RGB").copy()
    draw = ImageDraw.Draw(marked, "RGBA")
    w, h = marked.size
    draw.rectangle((round(w * 0.62), round(h * 0.86), round(w * 0.97), round(h * 0.96)), fill=(255, 255, 255, 150))
    draw.text((round(w * 0.64), round(h * 0.88)), "(c) photographer 2024", fill=(0, 0, 0, 255))
    return marked


def retouch(image: Image.Image) -> Image.Image:
    """A spot healed: a small patch replaced by its neighbourhood, as a clone tool does."""
    w, h = image.size
    patched = image.copy()
    size = max(4, round(min(w, h) * 0.06))
    source = image.crop((round(w * 0.30), round(h * 0.40), round(w * 0.30) + size, round(h * 0.40) + size))
    patched.paste(source, (round(w * 0.36), round(h * 0.44)))
    return patched


def burst_pair(image: Image.Image, keep: float = 0.8, apart: float = 0.1) -> tuple[Image.Image, Image.Image]:
    """Two neighbouring frames of a burst: `keep` wide windows of one scene, `apart` of its width apart."""
    w, h = image.size
    cw, ch = round(w * keep), round(h * keep)
    shift = round(w * apart)
    y0 = (h - ch) // 2
    first = image.crop(((w - cw - shift) // 2, y0, (w - cw - shift) // 2 + cw, y0 + ch))
    second = image.crop(((w - cw + shift) // 2, y0, (w - cw + shift) // 2 + cw, y0 + ch))
    return first, second


EDITS.update({
    "exposure +2 EV": lambda im: exposure(im, 2.0),
    "vignette -1.5 EV": lambda im: vignette(im, -1.5),
    "straighten 3°": lambda im: straighten(im, 3),
    "straighten -5°": lambda im: straighten(im, -5),
    "crop keeping 60 %, off-centre": lambda im: crop_area(im, 0.6, None, (0.1, 0.9)),
    "crop to 1:1 keeping 50 %": lambda im: crop_area(im, 0.5, 1.0, (0.0, 0.5)),
    "crop to 16:9": lambda im: crop_area(im, 0.55, 16 / 9, (0.5, 0.2)),
    "crop to 4:5 keeping 50 %": lambda im: crop_area(im, 0.5, 0.8, (1.0, 1.0)),
    "rotation by 90°": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "rotation by 180°": lambda im: im.transpose(Image.Transpose.ROTATE_180),
    "mirror": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "white border": border,
    "watermark": watermark,
    "small retouch": retouch,
})
