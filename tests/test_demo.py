"""The README's first command, shortened: the demo trains on the embedded digits and learns."""

import re

import lucid.demo


def test_demo_learns_and_reloads(tmp_path, capsys):
    accuracy = lucid.demo.main(["--epochs", "3", "--quiet", "--checkpoint-dir", str(tmp_path)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last)
    assert accuracy > 0.85  # chance is 0.1; the full 12 epochs reach about 0.98
    assert (tmp_path / "digits_cnn.lcd").exists()


def test_demo_seed_page(capsys):
    lucid.demo.main(["--seed-page"])
    out = capsys.readouterr().out
    assert "[[26., 33.]," in out and "[48., 63.]]" in out
    assert "[[12.0, 14.0], [12.0, 14.0]]" in out and "[2.0, 2.0]" in out
