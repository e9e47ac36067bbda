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
    'plain:clean:0': ('ea55df6fccd066c07815e442', '0f33d978e774fe405f2fc4ef', '4ef57ef5e41845595e19c80e'),
    'plain:clean:1': ('0e03d311ccb155cb83599dca', 'f86b24033eb93f44cc842c10', '4f9b23e3cfe69f8a9337d897'),
    'plain:clean:2': ('d90f60998d935eb2d7d1b968', 'ff9fef516ca323354cd58259', 'a41054081486f6f5152fbdcb'),
    'plain:partial:0': ('f828789b5f7d12f98ce42424', 'f3ffea40a49aeaab03eda5ad', '3319b583f3b655dd4643a5b2'),
    'plain:partial:1': ('839e9d84b4047fe6853b5f9d', 'd2ff7d42ddca34fca6a1e811', '66841d975153d90d3df1cab0'),
    'plain:partial:2': ('4bae3c515d5030a02191c04f', '88243ee4af0cfa786adc5b70', '2437f197805325699b8965d9'),
    'plain:burnout:0': ('f587e611eb21669415bf53ff', '8d39d0f8c9766b6f3b74afbf', '6d76398786613dd95f722ce8'),
    'plain:burnout:1': ('480d49b356889e7f10f06572', 'f9a031ed64578192d7012ca0', 'f552b71acc20a62307604e7d'),
    'plain:burnout:2': ('5b30716c0d91773dd2032544', 'dca78a7762bbd5815fd0870c', '224333fc63c743ff381e6f35'),
    'plain:noisy-line:0': ('f891b3646ce44cdd44beb1ca', '3ef1b6c0459cf1175a3b6ceb', '22cc4c70a570395a1efd873d'),
    'plain:noisy-line:1': ('5496db3b47935fd5991a9c32', '10ebb5f82bb4fb69a9cd5e88', 'c7e00b394536506c73bcfbf7'),
    'plain:noisy-line:2': ('ece46d5519755ee62ae5db38', '291b864a7668cd145fbca534', 'aa39e3111b6a621cd8cc779b'),
    'plain:unplug:0': ('247c4f5830e752035f4bfefd', '7e76f0d96ea2ab1b36c3b5e1', 'f10a6716015ffc01f75be710'),
    'plain:unplug:1': ('d303ca1d8ef808bf265b59a1', 'cee46a9c3623a7dc89d8c774', '46b5d21a08503d052ea1fe7b'),
    'plain:unplug:2': ('e3461f778c717a887b8d888d', 'e34c0931ae61fe6318fcb815', '33004a591385ac6e6b35a715'),
    'plain:slow-adc:0': ('07a0536ee428f06d5806d883', '7a5528ee457720ea258d8eb8', 'f7ddd7925d450f897f89eb63'),
    'plain:slow-adc:1': ('5097a4fcf023f099e2f1e438', '24d242c40693168a1a373cf0', '077c9cbfea8f9db01daec9a3'),
    'plain:slow-adc:2': ('2de8f4e82c225ee62a632c23', 'a96730ab5cf9b7d549ffcf90', '697e7c33285c5d27e7c036ad'),
    'plain:pause-bottom:0': ('65b6c0a0ec662ab99d906b8f', '07deabf68c436b24063a5929', '0de3c31ae7ad00244b87ea8d'),
    'plain:pause-bottom:1': ('78294d9ed503b06dd3f51c6f', '0723a9f7f7bac860f33b58ba', '723b16b3e811d90a75145860'),
    'plain:pause-bottom:2': ('9954f224ac47e848ad995d52', 'fbf1d0c7175ddb04a7aeeb49', '97d5ac1b356c8ba81774ac9c'),
    'plain:squeeze-top:0': ('faf1dbe7a654a00bc5216323', '0dce3c00cca84f6ebbe0b547', 'd6f570bd898fca41d4f26411'),
    'plain:squeeze-top:1': ('519a97d18fb9df096c92175f', 'efacb24a59dde15cd55a3fa8', '0fbc06e17369452ab89f85f4'),
    'plain:squeeze-top:2': ('dc1cd1d701ec459b98e92b3b', '8f4e6b0ef6b3d81834b1f968', '701af5faecf132010894bd37'),
    'plain:bounce:0': ('04a3c248ce6b69f98018b60f', '7614ad0609df6fd305904049', '159e500778ec7b247af5468b'),
    'plain:bounce:1': ('1e54d598e3ec4e16ec26a7ce', '5462e33909b5e63036270cd6', '0450cc24380ed00dee264adf'),
    'plain:bounce:2': ('7581d974b3aecf64bfd26fc6', '14e945d81c3fc521b6c09bba', 'cfb790c2eb0a406f0277d225'),
    'plain:brief-touch:0': ('91d38ba0c13bfcc59ff3d7ea', '9e8449dbe216e79784b767ab', 'b45b08ab9cdb2e8c50c60967'),
    'plain:brief-touch:1': ('4dd622afa896f71528a9d6e0', '2590b764aca80186ff90a766', '5c1c12c28b143b4f3a1fa16c'),
    'plain:brief-touch:2': ('7c8c16d11e3ecfc78ec6ba9d', '3e46f804657ed45d847c3cee', 'c166d6bfc192f9375ce89e09'),
    'plain:missed-echo:0': ('f1b7c1bf2557857a669f3d9a', '77520de5da5a39e1c4578ce3', '5a94688ce0d58524a08fdefd'),
    'plain:missed-echo:1': ('67caf6a550002b30618ac833', '9879297c5361bbe9f5edae63', '0a5484358ceb875dd143015d'),
    'plain:missed-echo:2': ('655942d89c77b2e0d4180661', 'd287881c68e94c1d3fcd2f1a', '558b6ee2cfd34fda93bf5542'),
    'plain:fast-burnout:0': ('14ee2b0980429c46a5b64f7e', '5c840d9589f9c3ebcb44e640', '94b2efa212ae2d082627feee'),
    'plain:fast-burnout:1': ('2450512c10bb4299962e819e', '6fb57b969f8b476f5f7f5ceb', 'aee7a881c21126e85d290e49'),
    'plain:fast-burnout:2': ('080e10ee8449f396cf7447f4', '40b7524d9234ff4360074726', 'f666b276eaff7dc0432efb39'),
    'plain:asymmetric:0': ('e10654e21e4f0c7d20f5ac28', '6234b429662723cbc572ab70', '0967e100f4bbc7914f208cf4'),
    'plain:asymmetric:1': ('3771fcad4a9178e8fc26f612', 'e22ae36f8da6c73b6cb689e6', 'e9df870a8246f966121d444f'),
    'plain:asymmetric:2': ('6049788dbc1beca488cd0bda', '84a9a89410dbd41d9e664347', '357e0a2f213f6c7e2f6a9ca9'),
    'plain:no-lockout:0': ('c49f0cc79ab0295fc34e3d9b', '4ac12fd51d3b51203a07c731', '2144c74dce0707dfe0f580d7'),
    'plain:no-lockout:1': ('cb6a2bfffffe312cbde2176b', '9d08c02c914dc096b170a8fe', 'bc4b9ab8d67476596f118f5f'),
    'plain:no-lockout:2': ('ec9cb132cb4d92e3b706f3d3', '0faab8b1f1a078d15740bb65', '48e034d1b83b62042fe359c0'),
    'plain:realistic:0': ('ab822be887add1be2713b750', '895bcaa5f2ac812aa67d9e88', '58d314414f1e57a6a5183a0f'),
    'plain:realistic:1': ('d84edaf2d960c9b7943d0a5f', '12c2560532f45e72fb39c5a6', '61139b2889cea78dd0651e76'),
    'plain:realistic:2': ('c07f20d2f1830ffcf9a6b62e', '5886e6780b42b6a96cf3faca', '5f55c079c46d87a54e166c9f'),
    'plain:walk-in:0': ('7169a5d8574f01dd153e3309', 'e18c2fa0f04209734c6f01b1', '827dbbbb251ab20ed691ab96'),
    'plain:walk-in:1': ('7608b4fcccb8ed434ca4093b', '7c0b4631b242c3b1e7673dc1', '5e49b764847c765c7a048d1a'),
    'plain:walk-in:2': ('208db288e6fa3a937b529c13', '549f65ac572fa026d7da0892', '41e36246b0d581f37dfe1c3c'),
    'plain:stray-echoes:0': ('1a20715c683623bff75ab245', '82aebce9ad86e6136bff73b2', '6f7d13c8f73ac631752ef5c9'),
    'plain:stray-echoes:1': ('14e0f5d55ec4fd825d4d1545', 'f84d622a62ed635be95da97e', '5624259ca9b1f2079bd4d7cf'),
    'plain:stray-echoes:2': ('6409462aab6699addc2c1bda', '8b3eca7b6d6d5a2a9f62a076', 'be6938a0e528988ac7795860'),
    'plain:tof:0': ('8a23c6907615604a4bc671c9', 'ac86db26c6d1d9a14f4cc508', 'f0f459a5c476f7729fe34aa6'),
    'plain:tof:1': ('0f2064f12f8163eb91360af1', 'c73c803caaa485bff93371ba', '797e71aa70aaa5512d93983d'),
    'plain:tof:2': ('cdb6c735a26b937b7279b92a', '17014fbb84bf0bae86f397a4', 'b86d2f3857a541a9ba52bf2d'),
    'plain:tof-raw:0': ('0e705d55a3f590d29a047c9b', '6f2276114207317af5b86f16', 'b69806ef57f3de732c3d4871'),
    'plain:tof-raw:1': ('ae405edc6a514041535aa8f7', '65e37fc08adf7f562b78c35d', '40b4b478e9afbebeaf96c430'),
    'plain:tof-raw:2': ('940fd7e4a02fc38d111f12c7', '2ef6a007274aae0af74c4365', 'd71c461d10fa7fdf1b987c72'),
    'plain:regrip:0': ('1110f481be053551e5d2750b', 'a29165dd43b51793ad93dad9', 'b7f9a45b71fa9b17acfb237a'),
    'plain:regrip:1': ('a6b633ac98b3c7a9219fc596', '7fa61b05ebfb2f0866c8face', '46d6fe4974358452d574a1cb'),
    'plain:regrip:2': ('5e45faf7f0946976d4aa39a1', 'f6d2025df90bca5e7ef127b9', 'f137776733949225ced46d35'),
    'plain:slow-tempo:0': ('41bb8f8ca446d3b9656c9412', '3fc1fa2de1b8b2e4a6527e29', 'b35819fbfddfeed9649b9517'),
    'plain:slow-tempo:1': ('e8214123ee865804ac472e3f', '7f3fd7e263ed249febc3fe83', 'e68e5b0947e21fb37b246708'),
    'plain:slow-tempo:2': ('38900451943770e9cf556193', '7633be397ca04fed5adbcc57', '0372281003e729a19c190b28'),
    'plain:touch-and-go:0': ('0937eb2143e96655c763420d', 'e53e1127555c12861754d81c', '1c702889b9c48c9207ce8900'),
    'plain:touch-and-go:1': ('bf6fc2c6cc816596e14706c3', '83f0ca5a194d8deeaa517b4a', 'd0be019f0f6046017b46e550'),
    'plain:touch-and-go:2': ('2c680e778cc9374c6c7292bf', 'dc8101c27dcb7e96a25a3095', 'b14572c8aec527818ea97204'),
    'plain:release:0': ('ac97c448a5bda81751bac568', '5cf94cc137c4833adaf11fcb', 'f370b8c1190f68478f822f2c'),
    'plain:release:1': ('ac208439228d84446ee37438', '237b99f4b2066ac796aaa869', 'b0a442b0ed4e46491f0c27ec'),
    'plain:release:2': ('fb721262506e57790e081aeb', '77320e03f428bb03998257f1', '96c8b2a123745c08576c1fcf'),
    'plain:long-hang:0': ('ef1d82a01911d0a8a62a3208', 'c7e56b56f5c1c3f3bffffbfd', '9467b662eb077e072459603e'),
    'plain:long-hang:1': ('a06e00f1b43468bf242fe94a', '8ff187f07ab28465a9099ff1', 'a745aeeee4d1977ee1d48685'),
    'plain:long-hang:2': ('ab8e36d76ee6edd907485153', '7c53822752746ca2c8610c8c', 'cc749bef7866b25936204fdf'),
    'plain:shrug:0': ('ef444881fd72a3dc96ce0347', 'c86991a32efb29d3876a2d02', '580238ca49c8b379d5148345'),
    'plain:shrug:1': ('0ed541a56e755a7ce4774066', '5cfaff6fb75d4e05a5c37a56', '96d94ceeaad9c837598de6a8'),
    'plain:shrug:2': ('fb3b378a086a5fd7a40e53cd', 'd2821b8d22eea17b262405d1', '2bfc0897c87a6d164d1a5a32'),
    'plain:shrug-faults:0': ('1ae5b581fd6a225360a7632b', '011c44c1a8d3d265a6391aee', '68302ec7954e129b72ffc134'),
    'plain:shrug-faults:1': ('bba7f4feb6c09bf816278138', '0fbf00da063499893ddce759', '82025f1f9a18f62bf0412f19'),
    'plain:shrug-faults:2': ('72eb6bcc90773e17b1c5b14f', '815176f6c135090683dc934f', '3cec4ecff001cb5e0063991e'),
    'plain:row-shrug:0': ('d22da9f51bc6b6309fc98f03', '6bd39f8109d53c10177e2d4e', 'eddde1073fecf703b615f7cd'),
    'plain:row-shrug:1': ('142e28865a3ccb6dd1619c5f', '857117a40cb8f7b0ef9c4f64', '8e2e7afe239da17d691d03d2'),
    'plain:row-shrug:2': ('0d91df832c077395564175da', 'b8eca01494cf8904b8161fcb', 'a9de3e85af9454213fb25504'),
    'plain:upper-back-workout:0': ('aaa801f6519d6f78e016af0b', 'b3d5d3e65d27ccb2590294b4', 'e9201b51b8016077dc2b461b'),
    'plain:upper-back-workout:1': ('ffaef0cd8401cdefa3b88cc4', 'a67af150d6086c7f03fb58d1', '44a3875f59f935be0978ce84'),
    'plain:upper-back-workout:2': ('0b6b8c251658c33f888a2a25', 'e45913a9c44d5c7052f0c7b0', 'a5126f237d02d5a600e4c0cc'),
    'wrap:clean:4': ('ad3e9e18a593a0c81b4133f0', '1b33a79bff7a9c780c9a6d68', 'ba03db3f91fb5ef3293e05c7'),
    'fast:partial:5': ('aedeb2d033826333c543013c', '25fc28a990629dbffd8bc5f3', 'ac36c364b045dbe7f3b73754'),
    'swap:unplug:6': ('c3fcc26d5cf1e828fcbb2962', '10e9764fddbfcef6727e4527', '17bae3251c19115aa82a11ac'),
    'faults:asymmetric:7': ('c34806e1b42f2e80a57f6b90', 'faa4f964bfb25f6b57e89224', 'ca7b831f2248b22a9bfe7095'),
    'bench:clean:8': ('e78ac2012395ab5ead818a62', 'a0db2dbc76a9d3d097dc7e39', '0801a62da64d168f8dab4a8e'),
    'bench:slow-adc:9': ('a7e606c257952eb5d886b3da', '8171100cfe5aaf67d57754cd', '9eb49d1d48e32835423a0f43'),
    'faults:realistic:7': ('112f120d8c9ed6d1087a440f', '93f82427cc4cae862e134656', '01f09c7d19b0c06596caf4ed'),
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
