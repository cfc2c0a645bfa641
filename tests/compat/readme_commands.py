#!/usr/bin/env python3
"""Runs every `./duet` command of README.md's ```console blocks and compares its output.

A console block holds `$ ./duet ARGS` lines, each followed by the output README.md shows for
it. The command runs with the built duet binary (argv[2]) instead of the bootstrap script.
Numbers that vary from run to run are masked on both sides before comparing: decimals
(timings), a summary row's columns after "rows out", loopback ports and temporary paths.
Prints `N passed, N failed`, with a diff per failure; exit 1 on any failure. With --update
(after the two arguments) it rewrites README.md's outputs with what the commands print now.
"""
import difflib
import re
import shlex
import subprocess
import sys


def blocks(text):
    for match in re.finditer(r"^```console\n(.*?)^```", text, re.S | re.M):
        yield match.group(1)


def commands(block):
    command, output = None, []
    for line in block.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, output
            command, output = line[2:], []
        elif command is not None:
            output.append(line)
    if command is not None:
        yield command, output


SUMMARY_ROW = re.compile(r"^((?:DStream|Structured)\s+\d+\s+\d+)\s.*$")


def mask(lines):
    masked = []
    for line in lines:
        line = SUMMARY_ROW.sub(r"\1 ...", line)
        line = re.sub(r"\d+\.\d+", "#", line)
        line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line)
        line = re.sub(r"/tmp/duet-[\w-]+", "/tmp/duet-TMP", line)
        masked.append(line.rstrip())
    while masked and masked[-1] == "":
        masked.pop()
    return masked


def run(duet, command):
    argv = shlex.split(command)
    result = subprocess.run([duet] + argv[1:], capture_output=True, text=True, timeout=300)
    return (result.stdout + result.stderr).rstrip("\n").splitlines()


def update(readme, duet):
    text = open(readme, encoding="utf-8").read()

    def rewrite(match):
        lines = []
        for command, _ in commands(match.group(1)):
            lines.append("$ " + command)
            if shlex.split(command)[0] == "./duet":
                lines.extend(run(duet, command))
        return "```console\n" + "\n".join(lines) + "\n```"

    text = re.sub(r"^```console\n(.*?)^```", rewrite, text, flags=re.S | re.M)
    open(readme, "w", encoding="utf-8").write(text)


def main():
    readme, duet = sys.argv[1], sys.argv[2]
    if sys.argv[3:] == ["--update"]:
        update(readme, duet)
    passed = failed = 0
    for block in blocks(open(readme, encoding="utf-8").read()):
        for command, expected in commands(block):
            argv = shlex.split(command)
            if argv[0] != "./duet":
                continue
            actual = mask(run(duet, command))
            if actual == mask(expected):
                passed += 1
                continue
            failed += 1
            print(f"README command differs: {command}")
            sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
                mask(expected), actual, "README.md", "actual", lineterm=""))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
