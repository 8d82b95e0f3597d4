#!/usr/bin/env bash
# System packages crawlflow needs beyond Node, Go, Java and Maven (present on our machines):
# bubblewrap sandboxes generator scripts; chromium drives the web page's browser tests;
# python3-mongoengine lets a test read crawlflow's collections with the seed's own models;
# fonts-noto-cjk gives chromium Chinese glyphs, so the page's zh-CN screenshots show text, not boxes.
# postgresql: the cluster profile of the local stack runs Temporal on it (docs/deploy.md).
# Idempotent and quick when everything is there.
set -euo pipefail

for tool in go java mvn; do
  command -v "$tool" > /dev/null || { echo "missing $tool: the local stack builds Temporal and FerretDB with Go and fetches Kafka with Maven" >&2; exit 1; }
done
packages=(bubblewrap chromium util-linux python3-mongoengine fonts-noto-cjk postgresql)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "missing system packages: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
