"""A default has one owner; every layer that starts from it reads it there."""

from __future__ import annotations

from backstation.analysis.config import AnalysisConfig
from backstation.defaults import DEFAULT_CONTACT_MM
from backstation.device.sim import model, protocol_sim
from backstation.link import DEFAULT_BAUDRATE
from backstation.protocol.sentences import BAUD_RATE, SLOW_ADC_MAX_HZ, slow_adc_message
from backstation.record import RecordOptions


def test_the_contact_threshold_the_judge_starts_from_is_the_simulators_contact():
    assert AnalysisConfig().contact_mm == model.CONTACT_MM == DEFAULT_CONTACT_MM


def test_record_the_link_and_the_simulated_station_run_at_the_protocols_baud_rate():
    assert RecordOptions(port="x").baud == DEFAULT_BAUDRATE == protocol_sim.DEVICE_BAUD == BAUD_RATE


def test_a_simulated_url_reads_back_as_the_station_it_names():
    kwargs, speed = protocol_sim.parse_url(protocol_sim.simulated_url("partial", seed=3, speed=20))
    assert (kwargs["scenario"], kwargs["seed"], speed) == ("partial", 3, 20.0)
    kwargs, speed = protocol_sim.parse_url(protocol_sim.simulated_url())
    assert (kwargs["scenario"], kwargs["seed"], speed) == (protocol_sim.DEFAULT_SCENARIO, 0, 1.0)


def test_the_slow_adc_message_says_the_rate_and_the_fix():
    text = slow_adc_message(SLOW_ADC_MAX_HZ)
    assert f"{SLOW_ADC_MAX_HZ} SPS" in text and "RATE pin high" in text


def test_gravity_and_the_weight_of_a_mass_have_one_owner():
    """units.py: the judgement, the simulated station, the wizard, Progress, the
    live plot's % body mass and validation's body model read G_MS2 and weight_n
    there; nobody writes the number again, and nobody re-exports it (a reader
    asks units.py, not a module that happens to import it)."""
    import ast
    from pathlib import Path

    import backstation
    from backstation.analysis.config import AnalysisConfig
    from backstation.ui.calibration.mass import expected_force_n
    from backstation.units import G_MS2, weight_n

    src = Path(backstation.__file__).parent
    owners, read_from = [], set()
    for path in sorted(src.rglob("*.py")):
        where = str(path.relative_to(src))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "G_MS2" for t in node.targets):
                owners.append(where)
            elif isinstance(node, ast.Constant) and node.value == 9.80665:
                owners.append(f"{where}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and "G_MS2" in [a.name for a in node.names]:
                if (node.module or "") != "units" and not (node.module or "").endswith(".units"):
                    read_from.add(f"{where} from {node.module}")
    assert owners == ["units.py", "units.py:5"]
    # validation/motion.py reads it from validation/body.py, the model it builds on.
    assert read_from == {"validation/motion.py from body"}
    assert model.G_MS2 == G_MS2
    assert AnalysisConfig(body_mass_kg=62.0).body_weight_n == weight_n(62.0)
    assert expected_force_n(10_000) == weight_n(10.0)
