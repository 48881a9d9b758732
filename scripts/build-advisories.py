#!/usr/bin/env python3
"""Compiles data/advisories/advisories.json, palisade's built-in advisory
database, from the shared advisory data (../shared/data/advisories, or the
directory given as the first argument):

- iot-advisories.json: hand-compiled IoT advisories (CVE records, NVD, CISA
  ICSA-21-229-01 and ICSA-22-067-01). Their affected versions are prose; the
  machine-readable ranges below restate them (see RANGES) and are the part of
  this file that needs care when an advisory changes.
- kev-iot-subset.json: CISA Known Exploited Vulnerabilities (CC0), IoT subset.
  KEV gives no versions: entries become "all versions" of the models their
  product text names (tokens with letters and digits, e.g. DCS-2530L); an
  entry naming no model ("Multiple Routers") cannot be matched to a device
  and is left out (counted in the file's note).

Run: python3 scripts/build-advisories.py [SHARED_ADVISORIES_DIR]
"""
import json
import re
import sys
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/advisories")
OUT = Path(__file__).resolve().parents[1] / "data/advisories/advisories.json"

AXEDA_AGENT = {"vendor": "PTC", "products": ["Axeda agent"], "ranges": [{"fixed": "6.9.2 build 1049"}]}
AXEDA_ADS = {"vendor": "PTC", "products": ["Axeda Desktop Server*"], "ranges": [{"fixed": "6.9 build 215"}]}
AXEDA_FIX = ("Update the Axeda agent to 6.9.2 build 1049 or 6.9.3 build 1051 (Axeda Desktop Server: 6.9 build 215) "
             "through the device maker; meanwhile make the agent listen on 127.0.0.1 only, give AxedaDesktop.ini a "
             "unique password, remove ERemoteServer from startup where not needed, and block the agent's ports "
             "(3011, 3076, 56565, 5920) at the fleet's edge.")

# Machine-readable restatement of each hand-compiled advisory's affected versions.
RANGES = {
    "CVE-2021-36260": {
        "affected": [
            # Camera platforms: builds dated before 2021-06-28; legacy platforms up to 5.4.x whatever the build.
            {"vendor": "Hikvision", "products": ["*"], "device_types": ["camera"],
             "ranges": [{"build_before": 210628}, {"introduced": "5.0", "fixed": "5.5.0"}]},
            # Recorders: builds dated before the fix (their V3/V4 numbering is not comparable with cameras').
            {"vendor": "Hikvision", "products": ["*"], "device_types": ["nvr", "dvr"],
             "ranges": [{"build_before": 210628}]},
        ],
        "remediation": ("Install the first firmware build dated 210628 or later published for this model "
                        "(Hikvision HSRC-202109-01 lists them per model; V5.5.800 build 210628 for IPC_G3/IPC_H5 "
                        "platforms). Until then, do not expose the camera's HTTP/HTTPS ports to untrusted networks: "
                        "the flaw needs no login. After updating, change every password on the device: a device "
                        "exploited before the update may keep a backdoor user."),
    },
    "CVE-2021-28372": {
        "affected": [{"vendor": "ThroughTek", "products": ["Kalay*"], "ranges": [{"last_affected": "3.1.5"}]}],
        "remediation": ("Ask the device maker for firmware built with Kalay SDK 3.1.10 or later (or 3.3.1.0 / "
                        "3.4.2.0) with AuthKey and DTLS enabled. Until then, keep the device's UID secret (it is "
                        "printed on labels and shown in apps) and watch for the UID registering from other addresses."),
    },
}
for cve in ["CVE-2022-25246", "CVE-2022-25247", "CVE-2022-25248", "CVE-2022-25249",
            "CVE-2022-25250", "CVE-2022-25251", "CVE-2022-25252"]:
    RANGES[cve] = {"affected": [AXEDA_AGENT, AXEDA_ADS], "remediation": AXEDA_FIX}

MODEL = re.compile(r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{2,}\b")


def title_of(a):
    s = a["summary"]
    first = s.split(". ")[0].rstrip(".")
    return f"{a['vendor']}: {first}" if len(first) < 160 else f"{a['vendor']} {a['cve']}"


def main():
    shared = json.loads((SRC / "iot-advisories.json").read_text())
    kev = json.loads((SRC / "kev-iot-subset.json").read_text())
    out, skipped = [], []
    hand = set()
    for a in shared["advisories"]:
        r = RANGES[a["cve"]]
        hand.add(a["cve"])
        k = a.get("kev", {})
        out.append({
            "id": a["cve"],
            "title": title_of(a),
            "summary": a["summary"],
            "cvss": a["cvss"].get("base_score"),
            "cvss_vector": a["cvss"].get("vector"),
            "cwe": a.get("cwe"),
            "known_exploited": bool(k.get("in_kev")),
            "kev_date_added": k.get("date_added"),
            "fixed_version": a.get("fixed_version"),
            "remediation": r["remediation"],
            "references": a.get("references", [])[:6],
            "source": "iot-advisories.json (CVE records, NVD, CISA ICS advisories)",
            "affected": r["affected"],
        })
    for v in kev["vulnerabilities"]:
        if v["cveID"] in hand:
            continue
        models = sorted(set(MODEL.findall(v["product"])), key=v["product"].find)
        if not models:
            skipped.append(v["cveID"])
            continue
        vendors = [x.strip() for x in re.split(r"\band\b", v["vendorProject"])]
        out.append({
            "id": v["cveID"],
            "title": v["vulnerabilityName"],
            "summary": v["shortDescription"],
            "known_exploited": True,
            "kev_date_added": v["dateAdded"],
            "remediation": v["requiredAction"],
            "references": [x.strip() for x in v.get("notes", "").split(";") if x.strip().startswith("http")][:6],
            "source": "CISA KEV " + kev["source"].split(",")[0].replace("CISA KEV catalog", "").strip(),
            "affected": [{"vendor": ven, "products": models, "ranges": [{"all": True}]} for ven in vendors],
        })
    note = (f"Built by scripts/build-advisories.py from iot-advisories.json ({len(hand)} advisories, ranges restated) "
            f"and kev-iot-subset.json (CISA KEV, CC0; {len(out) - len(hand)} entries naming models; "
            f"{len(skipped)} naming no model left out: {' '.join(skipped)}).")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"note": note, "advisories": out}, indent=1, ensure_ascii=False) + "\n")
    print(note)


main()
