#!/usr/bin/python3
"""Draw the tray template icons (black + alpha, one per tray state) and the app icons.

Run from anywhere: `/usr/bin/python3 icons/generate.py` (needs Pillow: Debian `python3-pil`).
Output is committed; the app embeds the PNGs with include_bytes!.

Tray states (see src-tauri/src/tray_model.rs, `TrayIcon`):
  stopped   outline of the shield (nothing runs)
  busy      shield half filled (starting / stopping)
  running   filled shield
  attention filled shield with a badge dot (changes to review or a blocked connection)
  error     outline shield with a cross (Broken VM, failed start)
"""
from pathlib import Path
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SS = 8  # supersampling factor for smooth edges


def shield(size):
    """Shield outline polygon points for a square canvas of `size` (supersampled units)."""
    s = size
    return [
        (0.50 * s, 0.06 * s), (0.88 * s, 0.20 * s), (0.86 * s, 0.52 * s),
        (0.74 * s, 0.76 * s), (0.50 * s, 0.94 * s), (0.26 * s, 0.76 * s),
        (0.14 * s, 0.52 * s), (0.12 * s, 0.20 * s),
    ]


def tray(state, px):
    s = px * SS
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    black = (0, 0, 0, 255)
    clear = (0, 0, 0, 0)
    stroke = max(int(s * 0.09), 1)
    pts = shield(s)
    if state in ("running", "attention"):
        d.polygon(pts, fill=black)
    else:
        d.line(pts + [pts[0]], fill=black, width=stroke, joint="curve")
    if state == "busy":
        # lower half filled: "on its way"
        mask = Image.new("L", (s, s), 0)
        ImageDraw.Draw(mask).polygon(pts, fill=255)
        half = Image.new("L", (s, s), 0)
        ImageDraw.Draw(half).rectangle([0, int(s * 0.5), s, s], fill=255)
        from PIL import ImageChops
        img.paste(black, (0, 0), ImageChops.multiply(mask, half))
    if state == "attention":
        r = s * 0.2
        cx, cy = s * 0.80, s * 0.22
        d.ellipse([cx - r - stroke, cy - r - stroke, cx + r + stroke, cy + r + stroke], fill=clear)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=black)
    if state == "error":
        a, b = s * 0.36, s * 0.64
        d.line([(a, a), (b, b)], fill=black, width=stroke)
        d.line([(a, b), (b, a)], fill=black, width=stroke)
    return img.resize((px, px), Image.LANCZOS)


def app_icon(px):
    s = px * SS
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, s - 1, s - 1], radius=int(s * 0.22), fill=(32, 76, 140, 255))
    inner = [(x * 0.7 + s * 0.15, y * 0.7 + s * 0.15) for x, y in shield(s)]
    d.polygon(inner, fill=(245, 247, 250, 255))
    return img.resize((px, px), Image.LANCZOS)


def main():
    out = HERE / "tray"
    out.mkdir(exist_ok=True)
    for state in ("stopped", "busy", "running", "attention", "error"):
        tray(state, 22).save(out / f"{state}.png")
        tray(state, 44).save(out / f"{state}@2x.png")
    app = HERE / "app"
    app.mkdir(exist_ok=True)
    for name, px in (("32x32", 32), ("128x128", 128), ("128x128@2x", 256), ("icon", 512)):
        app_icon(px).save(app / f"{name}.png")


if __name__ == "__main__":
    main()
