"""Golden outputs of the simulator, recorded before it was vectorised: the
bulk (numpy) sample generation must write the very same bytes, draw the same
random numbers in the same order and keep the same truth and fault tally as
the per-sample event loop it replaced.

Each case runs a fixed command script through the whole scenario; the table
holds SHA-256 digests of the byte stream, of the truth JSON and of the fault
tally (``summary()`` without the truth). The realism scenarios (realistic,
walk-in, stray-echoes, tof ...) were recorded when they were added; their
sensor artefacts come from a stream of their own, so the older digests held.

A digest that no longer matches says what changed (``what_changed``): which
of the three parts, and whether the bulk generation still equals the
per-sample reference (``SimulatedStation(reference=True)``) on the same
script: if not, the first line where they part; if so, the simulated device
itself changed. Regenerate only for an intended change of the simulated
device: ``PYTHONPATH=src python tests/test_sim_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys

import pytest

from backstation.device.sim import SimulatedStation, all_scenarios

SEEDS = (0, 1, 2)


def _script(station: SimulatedStation, steps_s: float) -> bytes:
    """START at 0.2 s, TARE at 1.0 s, PING at 2.5 s, INFO at 3.1 s, START again
    after a reboot; otherwise advance in uneven steps to the end."""
    end = station.truth.duration_s + 0.5
    unplug = station.unplug_window
    commands = [(0.2, b"START\n"), (1.0, b"TARE\n"), (2.5, b"PING\n"), (3.1, b"INFO\n")]
    if unplug is not None:
        commands.append((unplug[1] + 0.4, b"START\n"))
    out = bytearray()
    t = 0.0
    for at_s, line in commands:
        while t < at_s:
            t = min(at_s, t + steps_s)
            out += station.advance(t)
        station.receive(line)
    while t < end:
        t = min(end, t + steps_s)
        out += station.advance(t)
    return bytes(out)


def _bench_script(station: SimulatedStation, steps_s: float) -> bytes:
    """Rate changes, a CAL with a known mass, SETCAL, STOP/START, a busy TARE."""
    out = bytearray()
    t = 0.0
    script = [(0.3, b"START\n"), (0.8, b"TARE 1\n"), (1.0, b"TARE\n"),
              (1.8, b"RATE 10\n"), (3.0, b"RATE 80\n"),
              (4.0, b"TARE 1\n"), (4.2, b"TARE\n"), (6.0, "load"), (6.2, b"CAL 0 10000\n"),
              (8.0, b"SETCAL 1 50000 812.5\n"), (9.0, b"STOP\n"), (9.7, b"START\n"),
              (12.0, "unload"), (12.1, b"TARE 0\n")]
    for at_s, action in script:
        while t < at_s:
            t = min(at_s, t + steps_s)
            out += station.advance(t)
        if action == "load":
            station.external_load_n[0] = 98.0665
        elif action == "unload":
            station.external_load_n[0] = 0.0
        else:
            station.receive(action)
    while t < 20.0:
        t = min(20.0, t + steps_s)
        out += station.advance(t)
    return bytes(out)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def _json_digest(obj) -> str:
    return _digest(json.dumps(obj, sort_keys=True).encode())


def _run(case: str, steps_s: float = 0.37, *, reference: bool = False
         ) -> tuple[bytes, dict, dict]:
    """(bytes, truth, fault tally) of one case."""
    kind, name, seed = case.split(":")
    kwargs = {
        "plain": {},
        "wrap": {"boot_offset_us": (1 << 32) - 20_000_000, "first_seq": 65_000},
        "fast": {"force_rate_hz": 1000, "distance_rate_hz": 50},
        "swap": {"swap_device": True, "device_id": "00c0ffee"},
        "faults": {"faults_per_s": 5.0},
        "bench": {},
    }[kind]
    station = SimulatedStation(name, int(seed), reference=reference, **kwargs)
    data = (_bench_script if kind == "bench" else _script)(station, steps_s)
    summary = station.summary()
    truth = summary.pop("truth")
    return data, truth, summary


def run_case(case: str, steps_s: float = 0.37) -> tuple[str, str, str]:
    """(bytes digest, truth digest, fault tally digest) of one case."""
    data, truth, tally = _run(case, steps_s)
    return _digest(data), _json_digest(truth), _json_digest(tally)


def first_difference(got: bytes, expected: bytes) -> str | None:
    """Where two byte streams part, as the first differing line (a sentence)."""
    got_lines, expected_lines = got.splitlines(), expected.splitlines()
    for number, (a, b) in enumerate(zip(got_lines, expected_lines), start=1):
        if a != b:
            return f"line {number}: {a!r}, the reference {b!r}"
    if len(got_lines) != len(expected_lines):
        return f"{len(got_lines)} lines, the reference {len(expected_lines)}"
    return None


def what_changed(case: str, digests: tuple[str, str, str],
                 golden: tuple[str, str, str]) -> str:
    parts = ", ".join(part for part, a, b in zip(("bytes", "truth", "fault tally"),
                                                 digests, golden) if a != b)
    data, truth, tally = _run(case)
    ref_data, ref_truth, ref_tally = _run(case, reference=True)
    parted = first_difference(data, ref_data)
    if parted is None and truth != ref_truth:
        parted = "the truth"
    if parted is None and tally != ref_tally:
        parted = f"the fault tally: {tally}, the reference {ref_tally}"
    if parted is not None:
        return (f"{case}: {parts} changed, and the bulk generation no longer equals the "
                f"per-sample reference: {parted}")
    return (f"{case}: {parts} changed in the bulk generation and the per-sample reference "
            f"alike: the simulated device changed (its first lines: "
            f"{data.splitlines()[:3]}); if intended, regenerate the table")


CASES = ([f"plain:{name}:{seed}" for name in all_scenarios() for seed in SEEDS]
         + ["wrap:clean:4", "fast:partial:5", "swap:unplug:6", "faults:asymmetric:7",
            "bench:clean:8", "bench:slow-adc:9", "faults:realistic:7"])

GOLDEN: dict[str, tuple[str, str, str]] = {
    'plain:clean:0': ('788551aba91e450542d536c3', 'd25828cef501c5c464d5b4db', '4ef57ef5e41845595e19c80e'),
    'plain:clean:1': ('64e7e8ba9ebd517c9315b70b', 'de0bee9ba17b6ea7940b01cd', '4f9b23e3cfe69f8a9337d897'),
    'plain:clean:2': ('89edc4ea97792ac655fda306', 'aa51f58571cfb87571638e75', 'a41054081486f6f5152fbdcb'),
    'plain:partial:0': ('3acf1c220f4d7fb562dc1d62', 'f6c1484ac2eaa7122da02c1b', '3319b583f3b655dd4643a5b2'),
    'plain:partial:1': ('b48c64d35dc3fb797ede36f4', 'ae49a7c916528cf562da871c', '66841d975153d90d3df1cab0'),
    'plain:partial:2': ('08b6de4358e215bb286f68ca', '1d30edd709cafbf7f17c493f', '2437f197805325699b8965d9'),
    'plain:burnout:0': ('e3c714cdd0e338d9c9377113', '5f82c34a1f1fe5d71e662119', '79a6d11f4982a6cc2a783375'),
    'plain:burnout:1': ('c2d3c13c81d9307665c15b39', '914858883bd7c472dfd27d73', '8d1a929fb161863d6cee0473'),
    'plain:burnout:2': ('a726f1a9bdd22bbde17eb99c', 'c4fb26d59b8a3416c18adb82', '2b4b3743a6fb02e7f0cb22ac'),
    'plain:noisy-line:0': ('3540cba11cd35aed40dd17d7', '18fc46402cb8ff5ffc7fc736', '22cc4c70a570395a1efd873d'),
    'plain:noisy-line:1': ('cd89df8835fccb88ae6b2586', '1035ba5f1e3d8fcf0d79d974', 'c7e00b394536506c73bcfbf7'),
    'plain:noisy-line:2': ('d4d1747f817d21bff209b476', '5aaa78d037d0fe283e8c6685', 'aa39e3111b6a621cd8cc779b'),
    'plain:unplug:0': ('0f9a24b7ef1dbe21f2c31c22', '4f7f58e6872561781d5a79d7', 'f10a6716015ffc01f75be710'),
    'plain:unplug:1': ('987b9c85e0cf0a09548cadcc', '8c6c709a140e436e8f9c27d1', '46b5d21a08503d052ea1fe7b'),
    'plain:unplug:2': ('0406bd16525f8fe970dc85ad', '9f6f0af4fd56cf7cbe3e2238', '33004a591385ac6e6b35a715'),
    'plain:slow-adc:0': ('f58fd89392862c6c43a4ad40', 'cd1e9b5367cc53290273b51f', 'f7ddd7925d450f897f89eb63'),
    'plain:slow-adc:1': ('397169e17aaa6c057877eb60', '5662b19ae8ca8c8f00ac3a7b', '077c9cbfea8f9db01daec9a3'),
    'plain:slow-adc:2': ('5ad2d44f9b72652868a85692', '7f7ad9033f605fe6985661ac', '697e7c33285c5d27e7c036ad'),
    'plain:pause-bottom:0': ('9b1e05c0621a019e88c9119e', 'f858ac80ed0b72611d8b93f0', '0de3c31ae7ad00244b87ea8d'),
    'plain:pause-bottom:1': ('0c3b6a70edf24a148a5887c1', 'aa94380e58d9cf49dddd10a8', '723b16b3e811d90a75145860'),
    'plain:pause-bottom:2': ('157a242ad090a8492612eb3c', 'edfd2d55069a98914358762f', '97d5ac1b356c8ba81774ac9c'),
    'plain:squeeze-top:0': ('6d62e57d083f34380fa35c6f', '0f87b4d4f71b39983299b32f', 'd6f570bd898fca41d4f26411'),
    'plain:squeeze-top:1': ('90dc17616b640bf9834fa6a5', '4ceb7423c613e2afeb9ef363', '0fbc06e17369452ab89f85f4'),
    'plain:squeeze-top:2': ('bd7266cc96dfe6f1bf0eedad', '2dd947157260901bb428e8df', '701af5faecf132010894bd37'),
    'plain:bounce:0': ('a4c30ca456765397613e9727', '89ebb47dd72d9fb6f16de544', 'f6d5399ccdc1e8784fea3544'),
    'plain:bounce:1': ('9125918b1a1fa7691131c8f7', '55660b2323da2341c28ca876', 'de0f393235ae2d9e8cb87af2'),
    'plain:bounce:2': ('d5e4c54b1cd9529d96f0b6db', 'e2bc7f09c1dd166971e5bfb9', '4d0a9a80c463e4c043dbd45b'),
    'plain:brief-touch:0': ('74715c1349bbd348abffcc30', '3f1dabe2d5d91b2cfaa54cf3', 'b45b08ab9cdb2e8c50c60967'),
    'plain:brief-touch:1': ('a6aef1b474d07cf8e15504b7', 'feeb440db0e55fcfeaf68ce1', '5c1c12c28b143b4f3a1fa16c'),
    'plain:brief-touch:2': ('729fd874bc1b8b592298577a', 'e4601316fe43fd6a0ecb3da6', 'c166d6bfc192f9375ce89e09'),
    'plain:missed-echo:0': ('710cc10dbdffd6de48afaa0f', '3b3f0930fd4411a825871010', '5a94688ce0d58524a08fdefd'),
    'plain:missed-echo:1': ('b88f6074985d66ca95a2f489', 'd9a8b54c898b40ccc1d5b693', '0a5484358ceb875dd143015d'),
    'plain:missed-echo:2': ('bbbb370effefa5c5e6eb264f', '6c3e6536b1ec7730526b550b', '558b6ee2cfd34fda93bf5542'),
    'plain:fast-burnout:0': ('dcea69051cb84da4d468bbc1', '20ff3410797f110bb30da6d1', '8d05e1a8c91f7183ddbdcbf7'),
    'plain:fast-burnout:1': ('bdd6defd0c0f0d6a18eaf042', 'b1a8e228b006b9852f197810', 'bf272b78295bb5ba352c7fd8'),
    'plain:fast-burnout:2': ('dcd92d019b21dae8f99a2f8c', 'cdd70203a07b4a5b1f50a170', 'da8b8d553de47cc84c09e5c3'),
    'plain:asymmetric:0': ('b0fdc3c0e1123d9264e0b270', '45f422ff2b99a46a1b8224db', '0967e100f4bbc7914f208cf4'),
    'plain:asymmetric:1': ('e467b9968365444ba20a1ab5', '4b6545aa3e711130c29b7329', 'e9df870a8246f966121d444f'),
    'plain:asymmetric:2': ('ff8fa1b450aa314d93fda2fe', 'ea7dd833c66765f9e7d34f1a', '357e0a2f213f6c7e2f6a9ca9'),
    'plain:no-lockout:0': ('dfe2943f3f154518b93b4ac3', 'a2d2e66cb9b9f7f0187b90c0', '2144c74dce0707dfe0f580d7'),
    'plain:no-lockout:1': ('0ceba1bddf4af899773bafbb', 'b1eb075ba4a515f7e7e1fac6', 'bc4b9ab8d67476596f118f5f'),
    'plain:no-lockout:2': ('314335c03524612835266388', '74db62496d0cefa8dcdfaa7d', '48e034d1b83b62042fe359c0'),
    'plain:realistic:0': ('125ec8a9112137c036a6c4b2', 'e727276fb1324e5126c7e7b3', '58d314414f1e57a6a5183a0f'),
    'plain:realistic:1': ('0131a2101cefe6268d3e5ce3', 'fb8080da09de2a956edf7ba6', '61139b2889cea78dd0651e76'),
    'plain:realistic:2': ('f43d496ebadd0a9a901a7a35', 'bb383ae5e61a1625f74c5cf3', '5f55c079c46d87a54e166c9f'),
    'plain:walk-in:0': ('1888c62eeff54f01db5ada0c', 'dd13c21586dc19389c9f006a', '827dbbbb251ab20ed691ab96'),
    'plain:walk-in:1': ('d45f2052d533a04288e03d2b', '16b708e31616bc8c6a127b6d', '9e520e0941033a111dc1e66f'),
    'plain:walk-in:2': ('a97fc5d0b6e4b8a2bdbcdc57', '68018abe5fecda94c291061d', '41e36246b0d581f37dfe1c3c'),
    'plain:stray-echoes:0': ('2dd4c2c38b9b8e7dbf23f4b0', '5d3888940ef13eb35b2b88af', '6f7d13c8f73ac631752ef5c9'),
    'plain:stray-echoes:1': ('223f147d51161e05ce8e2ff7', '2e60aa2c8b41ed711f448a74', '5624259ca9b1f2079bd4d7cf'),
    'plain:stray-echoes:2': ('a69df1341cde4bc3adca1a21', 'a10d5a56bc7c6d507f562541', 'be6938a0e528988ac7795860'),
    'plain:tof:0': ('96b38350dda9fda45fccb7f4', '72b1f09e58ffd231a52dd99d', 'f0f459a5c476f7729fe34aa6'),
    'plain:tof:1': ('3335892cfece55c0d5979a55', '690c6e7f642e28f9be672ada', '797e71aa70aaa5512d93983d'),
    'plain:tof:2': ('e67197dbf61086a9d35a2f92', '4da10608808f10166f9f5e04', 'b86d2f3857a541a9ba52bf2d'),
    'plain:tof-raw:0': ('2552a677f04cf8736bfb7f59', 'd0edd6620f0c8faa55a4ff97', 'b69806ef57f3de732c3d4871'),
    'plain:tof-raw:1': ('f661a5ed804477797aedd0ad', '23789460819d07f42c89f8da', '40b4b478e9afbebeaf96c430'),
    'plain:tof-raw:2': ('8c26e73a7c75cde760e15847', 'ebb16bdd38bec48a93b870e2', 'd71c461d10fa7fdf1b987c72'),
    'plain:regrip:0': ('36a726baf42857e1e687d8a8', '78cf8071c43f73890daf8e7d', 'b7f9a45b71fa9b17acfb237a'),
    'plain:regrip:1': ('31e1ee90d0732b0d19cbf7a0', '1c564e2a4d1104ea9ea53298', '46d6fe4974358452d574a1cb'),
    'plain:regrip:2': ('2f70432953a97c0a85cfe52a', '4665e3410c94dabb79a6171d', 'f137776733949225ced46d35'),
    'plain:slow-tempo:0': ('9c6b51fb47ca958e4d9d7e2b', '8462078328c78e2f909d50d1', 'b35819fbfddfeed9649b9517'),
    'plain:slow-tempo:1': ('1b40197a6b3a9a3e570a97ea', '45c51827720357f913adf11c', 'e68e5b0947e21fb37b246708'),
    'plain:slow-tempo:2': ('c0186a249172e989aae21444', '963fdd20192dccd2e2706d7f', '0372281003e729a19c190b28'),
    'plain:touch-and-go:0': ('02a11527eda465492bdf5107', '6cc7a668bf4bc638ab16c7c4', '901c6956ed4a25f34fd5af57'),
    'plain:touch-and-go:1': ('2a0641ce20d0f99dc3377ee8', '7125c73a027901473c24edf4', 'fb4fa81a96b7a2bb3afc6287'),
    'plain:touch-and-go:2': ('3ba198d8a5ce72ec804eea01', '459d6347c609ef8d79762be7', '3800a4161bfcc5037a8566d8'),
    'plain:release:0': ('a9ee3d0d6a9cd622b7482be4', '9699c98bc87d2ffd78160202', 'f370b8c1190f68478f822f2c'),
    'plain:release:1': ('812b428b808aac405c26d08a', 'fc2a006abc52936890d10a68', 'b0a442b0ed4e46491f0c27ec'),
    'plain:release:2': ('17cc7e0fe9ddec1181efaede', 'de76019ca46c32bd09288f1d', '96c8b2a123745c08576c1fcf'),
    'plain:long-hang:0': ('90fc4da9d745794343ebe69d', '77c961b9a2d82bc8b917c49b', '9467b662eb077e072459603e'),
    'plain:long-hang:1': ('89dd03248edee84c2a229dbb', '7cc5033c4f9fbc5543a79b75', 'a745aeeee4d1977ee1d48685'),
    'plain:long-hang:2': ('f2486fef7467d024a6ce4f23', '784ae9d6712284727df88db3', 'cc749bef7866b25936204fdf'),
    'faults:realistic:7': ('f2fec7ff4f18cabe849cb3ab', '2ebd23f094bad799bf1dbb01', '8a30ad20249545105ea43c2d'),
    'wrap:clean:4': ('cb082626d878c1666920e27a', '0d62a0ab612fd74e7e176934', 'ba03db3f91fb5ef3293e05c7'),
    'fast:partial:5': ('88cef55fc90413a61c9118e1', 'e37f8b74fffeab03175cde80', 'ac36c364b045dbe7f3b73754'),
    'swap:unplug:6': ('bccbf06028afda96b5516bd6', '2567d6d589f7607054230508', '17bae3251c19115aa82a11ac'),
    'faults:asymmetric:7': ('38c72df7001863997eb4e11c', '400d28786b5cdd8a444e7556', 'ca7b831f2248b22a9bfe7095'),
    'bench:clean:8': ('aeeed4609c4169cc02b1d227', '8bd8ced4a605167999807575', '0801a62da64d168f8dab4a8e'),
    'bench:slow-adc:9': ('32aa85ffe264e156ee115bc3', '5329bbaa6e47a7a7f3894efe', '9eb49d1d48e32835423a0f43'),
}


@pytest.mark.parametrize("case", CASES)
def test_simulator_writes_exactly_the_recorded_bytes(case):
    digests = run_case(case)
    if digests != GOLDEN[case]:
        pytest.fail(what_changed(case, digests, GOLDEN[case]))


@pytest.mark.parametrize("case", ["plain:noisy-line:1", "bench:clean:8", "wrap:clean:4",
                                  "plain:realistic:0", "plain:tof-raw:1"])
def test_output_does_not_depend_on_how_time_is_advanced(case):
    for steps_s in (0.013, 2.9):
        digests = run_case(case, steps_s=steps_s)
        if digests != GOLDEN[case]:
            data = _run(case, steps_s)[0]
            pytest.fail(f"{case} advanced in {steps_s} s steps: "
                        f"{first_difference(data, _run(case)[0])}")


def test_a_changed_digest_says_where_the_bulk_generation_parted_from_the_reference(
        monkeypatch):
    """The diagnosis itself: a bulk station that writes one sample wrong is
    reported with that sample's line; a wrong digest alone, as a device change."""
    case = "plain:clean:0"
    golden = GOLDEN[case]
    wrong = ("0" * 24, *golden[1:])
    assert "the simulated device changed" in what_changed(case, wrong, golden)
    advance = SimulatedStation.advance

    def one_wrong_sample(self, t_s):
        out = advance(self, t_s)
        return out if self.reference else out.replace(b"$F,100,", b"$F,999,", 1)
    monkeypatch.setattr(SimulatedStation, "advance", one_wrong_sample)
    said = what_changed(case, run_case(case), golden)
    assert "bytes changed" in said and "no longer equals" in said and "$F,999," in said


if __name__ == "__main__":
    print("GOLDEN: dict[str, tuple[str, str, str]] = {")
    for c in CASES:
        print(f"    {c!r}: {run_case(c)!r},")
    print("}")
    sys.exit(0)
