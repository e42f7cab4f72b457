#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The figures of a tests/bench/blackout.sh run, from its serial log.

    blackout-analyse.py LOG [--blob-bytes N] [--extents N]

LOG holds one console line per line, each prefixed by the host time at which
it arrived ("%.6f line").  The guest (tests/bench/blackout-guest.sh) prints
"PKH-KEXEC-E stage=S mode=M" just before each kexec -e and "PKH-BOOT
stage=S" when the next kernel's /init runs; the kernels boot with
earlyprintk=serial and every load has kexec --console-serial, so every
kernel line and purgatory's first one reach the host as they are written.

Each kexec is cut into consecutive phases, on the host clock:

  shutdown     PKH-KEXEC-E -> the old kernel's "Starting new kernel"
  relocate     -> purgatory's "I'm in purgatory": machine_kexec and
               relocate_kernel copying every segment to its place
  purgatory    -> "Linux version": purgatory's SHA-256 of the segments
               (none with kexec -i), the decompressor, KASLR and the
               kernel's entry (the decompressor prints nothing without
               CONFIG_X86_VERBOSE_BOOTUP, so these are one phase; the
               -nocheck modes tell the hashing apart)
  kernel       -> "pkernfs: carve-out ... reserved": setup_arch until the
               handover is looked for
  handover     -> "pkhandover: ..." (accepted, rejected or none): finding
               the setup_data entry, copying it out, pkh_parse
  rest         -> "Run /init": the rest of the kernel's boot
  userspace    -> PKH-BOOT: /init up to the scenario

and prints every mode's median beside the others, and the live mode's
excess over the plain one in each phase, as the median over the
alternating pairs.
Exits 0 whatever the figures, 1 if the log holds no complete kexec, 2 on
a usage error or a log it cannot read.
"""
import re
import statistics
import sys

PHASES = [
    ("shutdown", "ke", "last", "kexec -e -> the old kernel's last line"),
    ("relocate", "last", "purg", "-> purgatory (relocate_kernel copies the segments)"),
    ("purgatory", "purg", "lv", "-> \"Linux version\" (SHA-256, decompress, entry)"),
    ("kernel", "lv", "carve", "-> \"pkernfs: carve-out\" (setup_arch so far)"),
    ("handover", "carve", "pkh", "-> \"pkhandover:\" (find, copy, CRC, parse)"),
    ("rest", "pkh", "ri", "-> \"Run /init\" (the rest of the kernel's boot)"),
    ("userspace", "ri", "boot", "-> PKH-BOOT (/init to the scenario)"),
]

PRINTK = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")


def parse(path):
    """The kexecs of the log, each a dict of host times and kernel lines."""
    kexecs = []
    cur = None
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            stamp, _, text = line.partition(" ")
            try:
                t = float(stamp)
            except ValueError:
                continue
            if text.startswith("PKH-KEXEC-E stage="):
                fields = dict(w.split("=", 1) for w in text.split()[1:] if "=" in w)
                cur = {"stage": int(fields.get("stage", 0)), "mode": fields.get("mode", "?"),
                       "ke": t}
                kexecs.append(cur)
            elif cur is not None and "boot" not in cur:
                if "last" not in cur and "kexec_core: Starting new kernel" in text:
                    cur["last"] = t
                elif "last" in cur and "purg" not in cur and "I'm in purgatory" in text:
                    cur["purg"] = t
                elif "last" in cur and "lv" not in cur and "] Linux version " in text:
                    cur["lv"] = t
                elif "lv" in cur and text.startswith("PKH-BOOT stage="):
                    cur["boot"] = t
                elif "lv" in cur:
                    m = PRINTK.match(text)
                    if m:
                        body = m.group(2)
                        if "Run /init as init process" in body and "ri" not in cur:
                            cur["ri"] = t
                        if body.startswith("pkernfs: carve-out ") and "carve" not in cur:
                            cur["carve"] = t
                        if body.startswith("pkhandover: ") and "carve" in cur and "pkh" not in cur:
                            cur["pkh"] = t
                        pm = re.search(r"handover accepted: .*parsed in (\d+) us", body)
                        if pm:
                            cur["parse_us"] = int(pm.group(1))
    return [k for k in kexecs if "boot" in k]


def med(values):
    return statistics.median(values) if values else float("nan")


def ms(seconds):
    return seconds * 1000.0


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    known = ("--blob-bytes", "--extents")
    if len(argv) < 2 or len(argv) % 2 or any(k not in known for k in argv[2::2]):
        print(f"usage: blackout-analyse.py LOG [{' N] ['.join(known)} N]", file=sys.stderr)
        return 2
    path = argv[1]
    opts = dict(zip(argv[2::2], argv[3::2]))
    try:
        blob = int(opts.get("--blob-bytes", "0"))
        extents = int(opts.get("--extents", "0"))
    except ValueError as e:
        print(f"blackout-analyse: {e}", file=sys.stderr)
        return 2
    try:
        kexecs = parse(path)
    except OSError as e:
        print(f"blackout-analyse: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 2
    if not kexecs:
        print(f"blackout-analyse: no complete kexec in {path}", file=sys.stderr)
        return 1
    modes = []
    for k in kexecs:
        if k["mode"] not in modes:
            modes.append(k["mode"])
    by_mode = {m: [k for k in kexecs if k["mode"] == m] for m in modes}

    def blackout(k):
        return ms(k["boot"] - k["ke"])

    print(f"blackout (kexec -e -> next /init's PKH-BOOT), host-timed, ms, median [min..max]; "
          f"modes took turns, {len(kexecs)} kexecs")
    for m in modes:
        b = [blackout(k) for k in by_mode[m]]
        print(f"  {m:<14} {med(b):8.1f} [{min(b):.1f}..{max(b):.1f}]  n={len(b)}")
    if "plain" in by_mode and "live" in by_mode:
        mp = med([blackout(k) for k in by_mode["plain"]])
        ml = med([blackout(k) for k in by_mode["live"]])
        target = max(mp * 1.05, mp + 20)
        print(f"  ratio live/plain {ml / mp:8.3f}  (+{ml - mp:.1f} ms; target <= max(1.05x, +20 ms) = "
              f"{target:.1f} ms: {'meets' if ml <= target else 'misses'})"
              + (f"  blob {blob} bytes, {extents} extents" if blob else ""))
        pairs = [blackout(l) - blackout(p) for p, l in zip(by_mode["plain"], by_mode["live"])]
        print(f"  live - plain, per alternating pair: median {med(pairs):.1f} ms "
              f"[{min(pairs):.1f}..{max(pairs):.1f}]")

    print("\nwhere the time goes, ms, median per mode (host clock; a phase whose mark a mode lacks is '-')")
    print(f"  {'phase':<11}" + "".join(f"{m:>15}" for m in modes) + "   what")
    for name, a, b, what in PHASES:
        cells = []
        for m in modes:
            v = [ms(k[b] - k[a]) for k in by_mode[m] if a in k and b in k]
            cells.append(f"{med(v):15.1f}" if v else f"{'-':>15}")
        print(f"  {name:<11}" + "".join(cells) + "   " + what)
    for m in modes:
        p = [k["parse_us"] / 1000 for k in by_mode[m] if "parse_us" in k]
        if p:
            print(f"  ({m}: the kernel's own \"parsed in\": median {med(p):.1f} ms, in 'handover'; 0 when the kernel clock was not running yet)")

    for plain, live in (("plain", "live"), ("plain-nocheck", "live-nocheck")):
        if plain not in by_mode or live not in by_mode:
            continue
        print(f"\n{live} - {plain}, ms, median over the alternating pairs (the excess of a live update)")
        for name, a, b, _ in PHASES:
            d = [ms((l[b] - l[a]) - (p[b] - p[a])) for p, l in zip(by_mode[plain], by_mode[live])
                 if a in p and b in p and a in l and b in l]
            if d:
                print(f"  {name:<11}{med(d):10.1f}   [{min(d):.1f}..{max(d):.1f}]")
    for m in ("plain", "live"):
        if m in by_mode and m + "-nocheck" in by_mode:
            h = [ms(k["lv"] - k["purg"]) for k in by_mode[m] if "purg" in k]
            n = [ms(k["lv"] - k["purg"]) for k in by_mode[m + "-nocheck"] if "purg" in k]
            if h and n:
                print(f"purgatory's SHA-256 in {m}: {med(h) - med(n):.1f} ms "
                      f"(purgatory phase, {m} - {m}-nocheck, medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
