#!/bin/sh
# Rebuilds assets/audio/ (the demo recordings) from Debian's `singularity-music` package:
# four pieces by Max McCracken (CC-BY-SA 3.0), each trimmed to a 45-second excerpt with a short
# fade-out and encoded as MP3 at 96, 160 and 320 kbps (the quality tiers), every file <= 2 MB.
# Needs: apt-get install singularity-music ffmpeg python3. Output is written next to the
# committed manifest.json and ATTRIBUTION.md, which this script also rewrites.
set -eu

SRC=${SINGULARITY_MUSIC_DIR:-/usr/share/games/singularity/music}
OUT=$(cd "$(dirname "$0")/.." && pwd)/assets/audio
EXCERPT_S=45
FADE_S=3
BITRATES="96 160 320"

# asset-name|source file (without .ogg)|start offset in seconds
TRACKS="a-new-journey|A New Journey|0
through-space|Through Space|0
nebula|Nebula|0
orbital-elevator|Orbital Elevator|0"

command -v ffmpeg >/dev/null || { echo "ffmpeg is required" >&2; exit 1; }
[ -d "$SRC" ] || { echo "$SRC not found: apt-get install singularity-music" >&2; exit 1; }

mkdir -p "$OUT"
while IFS='|' read -r name title start; do
    mkdir -p "$OUT/$name"
    for kbps in $BITRATES; do
        # -map_metadata -1 and -bitexact keep the files byte-for-byte reproducible.
        ffmpeg -nostdin -v error -y -ss "$start" -t "$EXCERPT_S" -i "$SRC/$title.ogg" \
            -af "afade=t=out:st=$((EXCERPT_S - FADE_S)):d=$FADE_S" \
            -map_metadata -1 -map 0:a -ac 2 -ar 44100 \
            -codec:a libmp3lame -b:a "${kbps}k" -id3v2_version 0 -write_xing 1 \
            -fflags +bitexact -flags:a +bitexact \
            "$OUT/$name/$kbps.mp3"
        size=$(stat -c %s "$OUT/$name/$kbps.mp3")
        if [ "$size" -gt 2097152 ]; then
            echo "$OUT/$name/$kbps.mp3 is $size bytes (> 2 MB)" >&2
            exit 1
        fi
    done
    echo "$name <- $title.ogg"
done <<EOF_TRACKS
$TRACKS
EOF_TRACKS

# The manifest: durations are measured from the encoded files.
python3 - "$OUT" "$SRC" "$BITRATES" <<'PY'
import json, subprocess, sys
out, src, bitrates = sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3].split()]
tracks = [("a-new-journey", "A New Journey"), ("through-space", "Through Space"),
          ("nebula", "Nebula"), ("orbital-elevator", "Orbital Elevator")]
assets = []
for name, title in tracks:
    dur = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         f"{out}/{name}/{bitrates[0]}.mp3"], capture_output=True, text=True, check=True)
    assets.append({
        "name": name,
        "title": title,
        "artist": "Max McCracken",
        "license": "CC-BY-SA-3.0",
        "source": f"Debian package singularity-music, {title}.ogg "
                  "(https://code.google.com/p/endgame-singularity/); 45 s excerpt, re-encoded",
        "duration_ms": round(float(dur.stdout.strip()) * 1000),
        "variants": [{"kbps": k, "format": "mp3", "file": f"{name}/{k}.mp3"} for k in bitrates],
    })
with open(f"{out}/manifest.json", "w") as f:
    json.dump({"assets": assets}, f, indent=2)
    f.write("\n")
PY
ls -l "$OUT"/*/*.mp3
