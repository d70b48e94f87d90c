"""Every verb, every option that takes a value from a set or a range, given an
invalid one: one line on stderr naming the verb and the option, exit 2."""

from __future__ import annotations

import click
import pytest

from dcmarket.sim.cli import cli, main

#: what an argument gets, so that the option's error is the one raised
ARGUMENT = {"scenario": "p2p_4dc_fixed_lmp", "run_dir": ".", "paper": "000", "directory": "."}


def invalid_values():
    """(verb, option, bad value) for every Choice, range and number option."""
    found = []
    for name in cli.list_commands(None):
        command = cli.get_command(None, name)
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or not param.opts:
                continue
            kind = param.type
            if isinstance(kind, click.Choice):
                found.append((name, param.opts[0], "no-such-choice"))
            elif isinstance(kind, click.types._NumberParamTypeBase):
                found.append((name, param.opts[0], "not-a-number"))
    return found


CASES = invalid_values()


def test_the_verbs_with_such_options_are_all_here():
    verbs = {verb for verb, _, _ in CASES}
    assert {"run", "step", "messages", "grade", "tournament", "dr", "lec", "reproduce"} <= verbs


@pytest.mark.parametrize("verb", cli.list_commands(None))
def test_an_unknown_option_is_one_line_and_exit_2(verb, capsys):
    assert main([verb, "--no-such-option"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"dcmarket {verb}: ")
    assert "--no-such-option" in err[0]


@pytest.mark.parametrize(("verb", "option", "value"), CASES,
                         ids=[f"{v} {o}" for v, o, _ in CASES])
def test_an_invalid_value_is_one_line_and_exit_2(verb, option, value, capsys):
    command = cli.get_command(None, verb)
    arguments = [ARGUMENT.get(p.name, "x") for p in command.params
                 if isinstance(p, click.Argument) and p.required]
    assert main([verb, option, value, *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"dcmarket {verb}: ") and option in err[0]
