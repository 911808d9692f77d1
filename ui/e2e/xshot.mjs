// The app window's pixels as the X server shows them, saved as PNG.
// WebKitWebDriver's own screenshot asks WebKit for a snapshot, which never
// answers once accelerated compositing is off (the app turns it off, see
// src-tauri/src/webview.rs); reading the window from X is what a person sees.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import zlib from "node:zlib";

/** Capture the top-level window titled `title` (raised with xdotool, read with x11-apps' xwd) into `file`. */
export async function saveWindowPng(title, file) {
  // Another window (a browser an automation run opened) may cover the app:
  // bring it to the top as a person would, and give it a moment to repaint.
  execFileSync("xdotool", ["search", "--onlyvisible", "--name", `^${title}$`, "windowraise"]);
  await new Promise((r) => setTimeout(r, 150));
  const xwd = execFileSync("xwd", ["-silent", "-name", title], { maxBuffer: 256 << 20 });
  writeFileSync(file, xwdToPng(xwd));
}

/** An XWD (ZPixmap, 24/32 bits per pixel, TrueColor) image as PNG bytes. */
export function xwdToPng(buf) {
  const u32 = (i) => buf.readUInt32BE(i * 4);
  const [headerSize, , format, , width, height, , byteOrder, , , , bitsPerPixel, bytesPerLine] = Array.from({ length: 13 }, (_, i) => u32(i));
  const [redMask, greenMask, blueMask] = [u32(14), u32(15), u32(16)];
  const ncolors = u32(19);
  if (format !== 2 || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) throw new Error(`unsupported XWD image (format ${format}, ${bitsPerPixel} bpp)`);
  const data = headerSize + ncolors * 12;
  const shift = (mask) => 31 - Math.clz32(mask & -mask);
  const [rs, gs, bs] = [shift(redMask), shift(greenMask), shift(blueMask)];
  const step = bitsPerPixel / 8;
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    const out = y * (width * 3 + 1);
    raw[out] = 0; // no filter
    for (let x = 0; x < width; x++) {
      const at = data + y * bytesPerLine + x * step;
      const px = step === 4 ? (byteOrder === 0 ? buf.readUInt32LE(at) : buf.readUInt32BE(at)) : byteOrder === 0 ? buf.readUIntLE(at, 3) : buf.readUIntBE(at, 3);
      raw[out + 1 + x * 3] = (px & redMask) >>> rs;
      raw[out + 2 + x * 3] = (px & greenMask) >>> gs;
      raw[out + 3 + x * 3] = (px & blueMask) >>> bs;
    }
  }
  const chunk = (type, body) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** PNG's CRC-32 (zlib.crc32 needs a newer Node than some distributions ship). */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
