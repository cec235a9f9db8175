#!/usr/bin/env python3
"""Writes interlock(1) from the command definitions: the JSON that swift-argument-parser dumps with
`interlock --experimental-dump-help` (the input its own generate-manual tool reads), so the manual
cannot drift from the parser. Usage: manpage.py BINARY VERSION > interlock.1"""
import json
import os
import subprocess
import sys
import time


def esc(text):
    """Roff-escapes running text: backslashes, and a leading dot or quote that would be a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(arg):
    names = []
    for n in arg.get("names", []):
        prefix = "-" if n["kind"] == "short" else "--"
        names.append(esc(prefix + n["name"]))
    return names


def argument_label(arg):
    if arg["kind"] == "positional":
        label = "<" + esc(arg.get("valueName", "value")) + ">"
        return label + ("..." if arg.get("isRepeating") else "")
    label = ", ".join("\\fB" + n + "\\fR" for n in flag_names(arg))
    if arg["kind"] == "option":
        label += " \\fI<" + esc(arg.get("valueName", "value")) + ">\\fR"
    return label


def visible(items):
    return [i for i in items or [] if i.get("shouldDisplay", True)]


def synopsis(path, command):
    parts = ["\\fB" + esc(" ".join(path)) + "\\fR"]
    for arg in visible(command.get("arguments")):
        if arg["kind"] == "positional":
            text = argument_label(arg)
        else:
            names = flag_names(arg)
            text = "\\fB" + (names[0] if names else "") + "\\fR"
            if arg["kind"] == "option":
                text += " \\fI<" + esc(arg.get("valueName", "value")) + ">\\fR"
        parts.append("[" + text + "]" if arg.get("isOptional") else text)
    if visible(command.get("subcommands")):
        parts.append("\\fI<subcommand>\\fR")
    return " ".join(parts)


def options(command, out):
    for arg in visible(command.get("arguments")):
        out.append(".TP")
        out.append(argument_label(arg))
        text = arg.get("abstract", "")
        if arg.get("discussion"):
            text += "\n" + arg["discussion"] if isinstance(arg["discussion"], str) else ""
        if arg.get("defaultValue") and arg["kind"] != "flag":
            text += " (default: " + arg["defaultValue"] + ")"
        out.append(esc(text.strip()) or "\\&")


def section(path, command, out):
    out.append(".SS " + esc(" ".join(path)))
    out.append(synopsis(path, command))
    out.append(".PP")
    out.append(esc(command.get("abstract", "")))
    if command.get("discussion"):
        out.append(".PP")
        out.append(esc(command["discussion"]))
    options(command, out)
    for sub in visible(command.get("subcommands")):
        if sub["commandName"] == "help":
            continue
        section(path + [sub["commandName"]], sub, out)


def main():
    binary, version = sys.argv[1], sys.argv[2]
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    root = dump["command"]
    # A reproducible date: SOURCE_DATE_EPOCH when a packager sets it, else today.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    name = root["commandName"]
    out = ['.TH "%s" "1" "%s" "Interlock %s" "User Commands"' % (name.upper(), date, esc(version))]
    out += [".SH NAME", "%s \\- %s" % (esc(name), esc(root.get("abstract", "")))]
    out += [".SH SYNOPSIS", synopsis([name], root)]
    out += [".SH DESCRIPTION", esc(root.get("abstract", ""))]
    if root.get("discussion"):
        out += [".PP", esc(root["discussion"])]
    out += [".PP", "Invoked through a link named \\fBinterlock\\-shell\\fR, it behaves as \\fBinterlock exec\\fR."]
    out.append(".SH OPTIONS")
    options(root, out)
    out.append(".SH COMMANDS")
    for sub in visible(root.get("subcommands")):
        if sub["commandName"] != "help":
            section([name, sub["commandName"]], sub, out)
    out += [".SH EXIT STATUS",
            "The command's own status (128+N if it died of signal N); 2 for a bad profile or invocation, "
            "125 when the sandbox could not be built (nothing runs), 126 or 127 when the command cannot "
            "be executed or is not found."]
    out += [".SH FILES", ".TP", "\\fI.interlock.toml\\fR",
            "The project profile, found from the workspace (or the current directory) upward."]
    out += [".SH SEE ALSO", "\\fBinterlock\\-mcp\\fR, started by \\fBinterlock mcp\\fR; the documentation in "
            "\\fI/usr/share/doc/interlock\\fR."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
