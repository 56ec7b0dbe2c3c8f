"""Shared CLI pieces: number parsers refuse NaN as NaN, counts >= 1, one-line usage errors."""

from __future__ import annotations

import math

import pytest

from gaemi.errors import GaemiInputError
from gaemi.present.cli import COMMAND_MODULES, main
from gaemi.present.cli.common import (
    OutputFormat,
    check_count,
    creations_note,
    note_lines,
    output_format,
    parse_korean_aum,
    parse_money,
    parse_move,
    parse_move_grid,
    parse_number,
    parse_positive_frac,
    print_json,
    single,
    single_float,
)


@pytest.mark.parametrize("text", ["nan", "NaN", "nan%", "inf", "-inf", "+inf%", " nan "])
def test_non_finite_is_named_as_such(text: str) -> None:
    # audit: `--vol nan` said "must be >= 0" and `--rate nan` "is not a move"
    for parse, name in (
        (parse_move, "rate"),
        (parse_positive_frac, "vol"),
        (parse_number, "weight"),
    ):
        with pytest.raises(GaemiInputError) as err:
            parse(text, name)
        assert str(err.value) == f"{name} = {text!r} must be a finite number"


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "$inf", " NaN "])
def test_money_non_finite_is_named_as_such(text: str) -> None:
    with pytest.raises(GaemiInputError) as err:
        parse_money(text, "korean-aum")
    assert str(err.value) == f"korean-aum = {text!r} must be a finite number"


def test_parsers_still_read_numbers() -> None:
    assert parse_move("-5%") == pytest.approx(-0.05)
    assert parse_positive_frac("45%", "vol") == pytest.approx(0.45)
    assert parse_number("140%", "maintenance") == pytest.approx(1.4)
    assert parse_money("45B") == 45e9
    with pytest.raises(GaemiInputError, match=r"vol = '-1%' must be >= 0"):
        parse_positive_frac("-1%", "vol")
    with pytest.raises(GaemiInputError, match=r"vol = '45x' is not a number"):
        parse_positive_frac("45x", "vol")
    with pytest.raises(GaemiInputError, match=r"rate = 'abc' is not a move"):
        parse_move("abc", "rate")


def test_check_count() -> None:
    assert check_count(None, "--top") is None
    assert check_count(3, "--top") == 3
    for bad in (0, -3):
        with pytest.raises(GaemiInputError, match=rf"^--top = {bad} must be >= 1$"):
            check_count(bad, "--top")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["decay", "--ticker", "SOXL", "--vol", "nan"],
            "error: vol = 'nan' must be a finite number",
        ),
        (
            ["decay", "--ticker", "SOXL", "--rate", "nan"],
            "error: rate = 'nan' must be a finite number",
        ),
        (["decay", "--ticker", "SOXL", "--workers", "0"], "error: --workers = 0 must be >= 1"),
        (["stress", "--shock", "nan"], "error: shock = 'nan' must be a finite number"),
        (
            ["stress", "--liquidity-scale", "nan"],
            "error: --liquidity-scale = nan must be a finite number",
        ),
        (
            ["stress", "--bogus"],
            "error: gaemi stress: No such option: --bogus (see gaemi stress --help)",
        ),
        (
            ["flows", "--top", "x"],
            (
                "error: gaemi flows: Invalid value for '--top': Input should be a valid "
                "integer, unable to parse string as an integer (see gaemi flows --help)"
            ),
        ),
        (["nosuch"], "error: gaemi: No such command 'nosuch'. (see gaemi --help)"),
        (["crypto", "--depth-scale", "nan"], "error: --depth-scale = nan must be a finite number"),
        (["crypto", "--usdkrw", "inf"], "error: --usdkrw = inf must be a finite number"),
        (["monitor", "--once", "--every", "nan"], "error: --every = nan must be a finite number"),
        (["data", "calibrate", "--drop", "nan"], "error: --drop = nan must be a finite number"),
        (["data", "update", "--timeout", "nan"], "error: --timeout = nan must be a finite number"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [line]
    assert "╭" not in captured.err  # never Typer's usage box


@pytest.mark.parametrize("command", [c for c in COMMAND_MODULES if c != "data"])
def test_unknown_option_is_one_line_for_every_command(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "--no-such-option"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1  # click may add "(Possible options: …)" inside the line
    assert err[0].startswith(f"error: gaemi {command}: No such option: --no-such-option")
    assert err[0].endswith(f"(see gaemi {command} --help)")


def test_help_version_and_bare_group_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stress", "--help"]) == 0
    assert "--shock" in capsys.readouterr().out
    assert main(["--version"]) == 0  # was "Missing command." before the eager callback
    assert capsys.readouterr().out.startswith("gaemi ")
    assert main([]) == 2  # no command: the help, as click's no_args_is_help does
    assert "Usage" in capsys.readouterr().out


def test_money_above_the_limit_is_refused_by_name() -> None:
    # audit: `--korean-aum 1e308` overflowed to inf in the engines ("letf.k_usd = np.float64(inf)")
    for text in ("1e308", "2e15", "-2e15", "1001T"):
        with pytest.raises(GaemiInputError) as err:
            parse_money(text, "--korean-aum")
        assert str(err.value) == (
            f"--korean-aum = {text!r} is too large: amounts above 1e+15 are refused"
        )
    assert parse_money("1000T", "x") == 1e15
    with pytest.raises(GaemiInputError, match="above 1e\\+13"):
        parse_money("11T", "--fund", maximum=1e13)


def test_move_above_1000_percent_is_refused() -> None:
    # audit: `--move 1e308%` reached the engine as inf
    assert parse_move("1000%") == 10.0
    for text in ("1001%", "1e308%"):
        with pytest.raises(GaemiInputError) as err:
            parse_move(text, "--move")
        assert str(err.value) == (
            f"--move = {text!r} is above +1000% (a move is at most +1000% in a day)"
        )
    long = "1" * 300 + "%"
    with pytest.raises(GaemiInputError) as err:
        parse_move(long, "--move")
    assert len(str(err.value)) < 120  # a 300-digit number is cut, not echoed


def test_grid_size_is_bounded_and_named() -> None:
    assert parse_move_grid("-5%:5%:0.0001%", "--moves") == pytest.approx((-0.05, 0.05, 1e-6))
    with pytest.raises(GaemiInputError) as err:
        parse_move_grid("-5%:5%:1e-308", "--moves")
    assert str(err.value) == (
        "--moves = '-5%:5%:1e-308' would give 1e+307 points; at most 100001 are allowed "
        "(use a larger STEP)"
    )


def test_single_refuses_a_repeat() -> None:
    assert single(None, "--move") is None
    assert single(["-5%"], "--move") == "-5%"
    with pytest.raises(GaemiInputError) as err:
        single(["-5%", "-3%"], "--move")
    assert str(err.value) == "--move is given twice (-5%, -3%); give it once"


def test_grid_just_above_the_limit_names_the_count() -> None:
    with pytest.raises(GaemiInputError, match=r"would give 100,002 points"):
        parse_move_grid("0%:100.001%:0.001%", "--moves")


@pytest.mark.parametrize(
    "argv",
    [
        ["flows", "--move", "-5%", "--top", "0", "--by", "fund"],
        ["stress", "--shock", "-2%", "-u", "MOON"],
        ["cascade", "--shock", "NDX=-5%", "--draws", "0"],
        ["crypto", "--shock", "BTC=-10%", "--depth-scale", "nan"],
    ],
)
def test_read_notes_are_dropped_when_the_input_is_bad(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # audit: "read -5% as percent …" was printed before the error: two lines on stderr
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")


def test_read_notes_still_shown_on_success(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "--move", "-5%", "--by", "total", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "read -5% as percent: move_frac = -0.05 (-5.00%)" in err


#: Commands whose market state comes from --db/--data-dir/--date (declared once in
#: cli/common: DbOption, DataDirOption, DateOption; read by state_from_options).
STATE_COMMANDS = (
    ["flows", "--move", "-5%"],
    ["stress", "--shock", "-2%", "-u", "NDX"],
    ["report", "--no-html"],
    ["monitor", "--once"],
    ["serve", "--port", "0"],
)


@pytest.mark.parametrize("cmd", STATE_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--date", "2025-13-01"], "error: date = '2025-13-01' is not a YYYY-MM-DD date"),
        (["--db", "/nonexistent/g.duckdb"], "error: db = '/nonexistent/g.duckdb' does not exist"),
        (["--db", "a.duckdb", "--data-dir", "d"], "error: give --db or --data-dir, not both"),
        (["--date", "2025-01-02", "--date", "2025-01-03"], "error: --date is given twice"),
        (["--data-dir", "/nonexistent/d"], "error: data-dir '/nonexistent/d' is not a folder"),
    ],
    ids=["bad-date", "no-store", "both", "twice", "no-folder"],
)
def test_state_options_mean_the_same_everywhere(
    capsys: pytest.CaptureFixture[str], cmd: list[str], extra: list[str], message: str
) -> None:
    """--db, --data-dir and --date are one option each, with one meaning and one error."""
    assert main([*cmd, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(message), err


def test_single_gives_the_default_only_when_left_out() -> None:
    # the default stands in for a missing option, never for a given falsy value:
    # `--seed 0` is 0 and `--feedback ""` is "" (refused by the command, not replaced)
    assert single(None, "--seed", 20151) == 20151
    assert single([], "--seed", 20151) == 20151
    assert single([0], "--seed", 20151) == 0
    assert single([""], "--feedback", "engine") == ""
    assert output_format(None) is OutputFormat.table
    assert output_format([OutputFormat.csv]) is OutputFormat.csv
    with pytest.raises(GaemiInputError, match="--format is given twice"):
        output_format([OutputFormat.csv, OutputFormat.json])


def test_single_float_words_nan_and_inf_like_the_callbacks() -> None:
    # decay --months/--leverage and stress --liquidity-scale/--half-life share this rule
    assert single_float(None, "--months") is None
    assert single_float([2.5], "--months") == 2.5
    assert single_float([math.inf], "--half-life", allow_inf=True) == math.inf
    for v, allow_inf, want in (
        (math.nan, False, "--x = nan must be a finite number"),
        (math.inf, False, "--x = inf must be a finite number"),
        (-math.inf, False, "--x = -inf must be a finite number"),
        (math.nan, True, "--x = nan must be a number, not NaN"),
    ):
        with pytest.raises(GaemiInputError) as err:
            single_float([v], "--x", allow_inf=allow_inf)
        assert str(err.value) == want


def test_korean_aum_error_quotes_a_long_input_cut() -> None:
    # a 60-digit amount is quoted by its first 39 characters and "…", as parse_money does
    text = "1" * 60
    with pytest.raises(GaemiInputError) as err:
        parse_korean_aum(text)
    assert str(err.value) == (
        f"--korean-aum = {'1' * 39 + '…'!r} must be between 0 and $10T (1e+13 USD)"
    )


def test_print_json_and_note_lines(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"a_usd": 1.5, "name": "₩"}, ensure_ascii=False)
    assert capsys.readouterr().out == '{\n "a_usd": 1.5,\n "name": "₩"\n}\n'
    with pytest.raises(ValueError):  # NaN is refused, never written as invalid JSON
        print_json({"x": math.nan})
    note_lines(["old", "new"], "warning", shown=("old",))
    note_lines(["from the loader"])
    assert capsys.readouterr().err == "warning: new\nnote: from the loader\n"


def test_creations_note_is_one_wording() -> None:
    from types import SimpleNamespace

    choice = SimpleNamespace(value="measured", why="β per fund class")
    assert creations_note(choice) == "creations: measured — β per fund class"
