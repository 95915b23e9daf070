"""The metric and label names a PromQL expression uses, without a PromQL parser.

Enough of the grammar for dashboard queries: string literals, label matchers {…}, ranges and
subqueries […], Grafana variables ($x, ${x}), durations and numbers are removed or skipped; an
identifier followed by "(" is a function or an aggregation; the grouping lists of by, without,
on, ignoring, group_left and group_right hold label names, not metrics.
"""
import re

# Words of the language that are not metric names where they stand (followed by "(" they are
# skipped anyway, as functions are).
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan", "start", "end"}
GROUPING = r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)"
_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
_MATCHERS = r"\{([^}]*)\}"
_TOKEN = re.compile(
    r"(?P<duration>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*\b)"
    r"|(?P<number>0[xX][0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)")
_LABEL_IN_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
_VARIABLE = r"\$\{[^}]*\}|\$\w+"


def _without_strings(expr):
    return re.sub(_STRING, '""', expr)


def metric_names(expr):
    """The metric names EXPR selects (a set)."""
    s = _without_strings(expr)
    s = re.sub(_MATCHERS, " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(GROUPING, " ", s)
    s = re.sub(_VARIABLE, " ", s)
    names = set()
    for m in _TOKEN.finditer(s):
        name = m.group("name")
        if name is None or name.lower() in KEYWORDS:
            continue
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        names.add(name)
    return names


def label_names(expr):
    """The label names EXPR matches on or groups by (a set)."""
    s = _without_strings(expr)
    labels = set()
    for group in re.findall(GROUPING, s):
        labels.update(x.strip() for x in group.split(",") if x.strip())
    for matchers in re.findall(_MATCHERS, s):
        labels.update(_LABEL_IN_MATCHER.findall(matchers))
    return labels
