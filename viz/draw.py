"""Computation graphs as graphviz Digraphs: one record per Value, one small node per op.

Node ids follow the backward pass: the Value processed at step k of ``root.backward_steps()``
is the DOT node ``v{k}`` (the root is ``v0``), the op that made it is ``v{k}op``, the edge from
its i-th parent is ``e{k}_{i}`` and the edge from its op is ``e{k}op``. The same graph always
gives the same DOT source.

Colours say what a node is, read from nn's Name records (or, for a plain expression, from the
graph's shape; see viz.names), never from label text: parameters w and b (or Values passed as
``parameters=``), other leaves (inputs and constants), pre-activations z (whose grad is shown
as δ), activations a, and the loss (the root). A legend cluster repeats this in the drawing.
Every Value's record starts with a title of its own (see node_titles). By default
(``collapse="auto"``) a graph too big to fit a screen at a readable size is drawn with one box
per neuron, or per layer (see auto_collapse and fits_screen).
Labels are written in a notation (``notation=``, else nn.notation's active one). Each label row
is built as nn.notation's typed tokens (symbols, numbers, operators, words): the DOT source
writes them with Unicode superscripts and subscripts, and svg_labels() sets each drawn node's
text lines from its rows' tokens as SVG tspans, finding the node by its id and each row by its
line, never by reading the text back.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autograd import Expr, Value, symbolic_row, topological_order
from autograd.symbolic import var
from nn import notation as nt
from nn.notation import Name, Notation

from . import numbers, palette
from .names import Typeset, identify, neuron, role, svg_text
from .numbers import number, number_latex

if TYPE_CHECKING:  # the package itself is imported only to draw (see _new_digraph)
    import graphviz  # type: ignore[import-untyped]  # no py.typed in graphviz 0.21

RANKDIRS = ("LR", "TB", "RL", "BT")
COLLAPSE = ("auto", "neuron", "layer")
MAX_LABEL = 40  # longer labels are cut with an ellipsis in the drawing
FONT = 11.0  # every text of a drawing: 11 pt, which a screen that fits the drawing shows ≥ 11 px
# What collapse="auto" draws in full: a graph whose drawing is at most this wide and high (pt).
# A browser window of 1400×900 or 1920×1080 that shows a drawing fitted to its width then shows
# 11 pt text at 11 px or more (1400 / 1380) with the whole drawing on screen (see fit_screen).
SCREEN_PT = (1380.0, 800.0)
# collapse="auto" draws one box per neuron when no layer is taller than this many neurons (a
# box with a few lines each), one short box per neuron up to TALL_LAYER, and one per layer above
FULL_BOXES = 8
TALL_LAYER = 16

# role: (fill colour, legend text in Nielsen's notation; legend_text() writes any notation)
ROLES: dict[str, tuple[str, str]] = {
    "parameter": (palette.ROLE["parameter"], "parameter: w, b"),
    "input": (palette.ROLE["input"], "input or constant (other leaves)"),
    "preactivation": (palette.ROLE["preactivation"], "pre-activation z (grad shown as δ)"),
    "activation": (palette.ROLE["activation"], "activation a"),
    "loss": (palette.ROLE["loss"], "loss (the root)"),
    "other": (palette.ROLE["other"], "intermediate node"),
}
# roles of the boxes of a collapsed drawing
GROUP_ROLES: dict[str, tuple[str, str]] = {
    "inputs": (palette.ROLE["input"], "input layer (a^1)"),
    "neurons": (palette.ROLE["activation"], "neuron: its z, a, δ over the examples, and its w, b"),
    "loss": (palette.ROLE["loss"], "loss side: the cost after the last layer"),
    "leaves": (palette.ROLE["input"], "other inputs and constants"),
}
OP_COLOUR = "#777777"


Row = nt.Tokens  # one text line of a drawn node, as typed tokens


def row(*parts: Row | nt.Token | str) -> Row:
    """One row of tokens: a str is words, a token or tuple of tokens is kept as it is."""
    out: list[nt.Token] = []
    for p in parts:
        if isinstance(p, str):
            out.append(nt.Words(p))
        elif isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def num(x: float, digits: int) -> nt.Num:
    """x as a number token, written by viz.numbers (Unicode and LaTeX)."""
    return nt.Num(number(x, digits), number_latex(x, digits))


def legend_tokens(key: str, ts: Typeset, group: bool = False) -> Row:
    """The legend's row for a role (group=True: a kind of box), in the typeset's notation."""
    n, t = ts.notation, ts.term_tokens
    if key == "parameter":
        if n.bias_as_weight:
            return row("parameter: ", t("weight"), " (the bias is ", t("bias"), ")")
        return row("parameter: ", t("weight"), ", ", t("bias"))
    if key == "preactivation":
        return row("pre-activation ", t("preactivation"), " (grad shown as ", t("delta"), ")")
    if key == "activation":
        return row("activation ", t("activation"))
    if key == "inputs":
        return row("input layer (", t("input", 1), ")")
    if key == "neurons":
        return _parts_tokens(ts, "neuron")
    return row((GROUP_ROLES if group else ROLES)[key][1])


def legend_text(key: str, ts: Typeset, group: bool = False) -> str:
    """The legend's text for a role (group=True: a kind of box), in the typeset's notation."""
    return nt.write(legend_tokens(key, ts, group), "unicode")


def _parts_tokens(ts: Typeset, what: str) -> Row:
    """'neuron: its z, a, δ over the examples, and its w, b' in the typeset's notation."""
    t = ts.term_tokens
    params = t("weight") if ts.notation.bias_as_weight else row(t("weight"), ", ", t("bias"))
    return row(
        f"{what}: its ",
        t("preactivation"),
        ", ",
        t("activation"),
        ", ",
        t("delta"),
        " over the examples, and its ",
        params,
    )


@dataclass
class Labels:
    """What build() wrote into a drawing: its Typeset, and each drawn node's rows as tokens.

    rows maps a DOT node id (its SVG id) to its font size and its text rows, in order.
    """

    typeset: Typeset
    rows: dict[str, tuple[float, list[Row]]] = field(default_factory=dict)
    collapse: str | None = None  # what was drawn: None (every node), 'neuron' or 'layer'
    auto: bool = False  # chosen by collapse='auto'


def svg_labels(svg: str, labels: Labels) -> str:
    """svg with each labelled node's text lines set from its rows' tokens (tspan scripts).

    A node is found by its id (the <g> Graphviz writes for it), and its <text> elements, in
    order, are its rows: the text Graphviz wrote there is replaced, never read. A node whose
    text lines are not one per row (a renderer that wrote them otherwise) is left as written,
    its rows in Unicode.
    """
    found = []
    for gid, entry in labels.rows.items():
        start = svg.find(f'<g id="{gid}" class="node">')
        if start != -1:
            found.append((start, entry))
    found.sort(key=lambda f: f[0])
    out: list[str] = []
    done = 0
    for start, (size, rows) in found:
        end = svg.find("</g>", start)
        bodies: list[tuple[int, int]] = []  # (start, end) of each <text>'s content
        at = start
        while (opening := svg.find("<text", at, end)) != -1:
            body = svg.find(">", opening) + 1
            close = svg.find("</text>", body)
            bodies.append((body, close))
            at = close
        if len(bodies) != len(rows):
            continue
        for (body, close), tokens in zip(bodies, rows, strict=True):
            out.append(svg[done:body])
            out.append(svg_text(tokens, size))
            done = close
    out.append(svg[done:])
    return "".join(out)


# ------------------------------------------------------------------------------- helpers
def check_value(root: object, where: str) -> Value:
    """root itself if it is a Value, else a TypeError that says what to pass."""
    if not isinstance(root, Value):
        raise TypeError(
            f"{where} needs a Value (the output of a computation, e.g. the loss), "
            f"got {type(root).__name__}"
        )
    return root


def processing_order(root: Value) -> list[Value]:
    """Every node of root's graph in the order backward() processes them: root first."""
    order = topological_order(root)
    order.reverse()
    return order


def forward_order(root: Value) -> list[Value]:
    """Every node, parents before children, first parents first (iterative post-order walk)."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        # pushed in reverse so that the first parent is walked (and drawn) first
        stack.extend((p, False) for p in reversed(node.parents) if p not in seen)
    return order


def count_nodes(root: Value, limit: int) -> int:
    """The number of nodes in root's graph, counting no further than limit (iterative)."""
    seen: set[Value] = {root}
    stack = [root]
    while stack and len(seen) < limit:
        for p in stack.pop().parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return min(len(seen), limit)


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 neuron', '2 neurons' (words: an irregular plural)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


# a number inside a person's own label text, as they typed it (-1e-05, −1×10⁻⁵): shorten() runs
# on a user's words only; the rows a drawing writes itself are tokens, never shortened or read
_NUMBER = re.compile(r"[-+−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+|×10⁻?[⁰¹²³⁴-⁹]+)?")


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """text cut to about limit chars with an ellipsis: words are cut, numbers never are.

    The cut goes back to a space near it when there is one; a number it would split is kept
    whole (or dropped whole, when a space before it leaves enough text).
    """
    if len(text) <= limit:
        return text
    cut = limit - 1
    space = text.rfind(" ", max(0, cut - 12), cut + 1)
    if space > 0:
        cut = space
    for m in _NUMBER.finditer(text):
        if m.start() < cut < m.end():
            cut = m.start() if m.start() > 0 else m.end()
            break
    if cut >= len(text):
        return text
    return text[:cut].rstrip(" ") + "…"


def visible(text: str, limit: int | None = MAX_LABEL) -> str:
    """text with control characters written as escapes (\\n, \\x01), shortened to limit chars.

    limit=None: never shortened (the rows a drawing writes itself, numbers and their names).
    """
    out = []
    for ch in text:
        code = ord(ch)
        if unicodedata.category(ch) == "Cc" or code in (0xFFFE, 0xFFFF):
            # not allowed (or invisible) in XML/SVG text: show the escape instead
            named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch)
            out.append(named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(ch)
    shown = "".join(out)
    return shown if limit is None else shorten(shown, limit)


def _escape_text(text: str, specials: str, limit: int | None) -> str:
    # Graphviz decodes HTML entities in labels once, so a literal & is written &amp;.
    # A backslash starts an escape in a DOT label (\n, \l, \N, ...), so it is doubled;
    # quotes are escaped by the graphviz package when it quotes the attribute.
    out = []
    for ch in visible(text, limit):
        if ch == "&":
            out.append("&amp;")
        elif ch == "\\" or ch in specials:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def escape_record(text: str) -> str:
    """text as one field of a DOT record label: { } | < > and spaces are escaped (never cut)."""
    return _escape_text(text, "{}|<> ", None)


def escape_plain(text: str, limit: int | None = None) -> str:
    """text as an ordinary DOT label (shortened to limit chars when one is given)."""
    return _escape_text(text, "", limit)


def text_width(text: str, size: float) -> float:
    """A generous width in inches for text at size points (Helvetica-like widths, padding in)."""
    # average advance of Helvetica: about 0.56 em for lower case, 0.7 em for capitals and ∂‖Σ
    ems = sum(
        0.35 if ch in " .,:;ijlt()" else 0.72 if ch.isupper() or ord(ch) > 0x2000 else 0.58
        for ch in text
    )
    return ems * size / 72 + 0.2


def scripted(tokens: Row) -> bool:
    """True if a row sets a superscript or a subscript (a symbol's own, or in a fraction)."""
    for t in tokens:
        if isinstance(t, nt.Sym) and (t.sup or t.sub or "_" in t.base):
            return True
        if isinstance(t, nt.Frac) and (scripted(t.num) or scripted(t.den)):
            return True
    return False


# The padding (pt) above and below a box's line: a line with scripts gets room for them, so
# that a superscript (raised 0.38 em) never reaches the subscript of the line above (0.25 em)
LINE_PAD = 1
SCRIPT_PAD = 3


def box_label(rows: list[Row]) -> str:
    """Rows as an HTML-like table label: one cell per line, lines with scripts given room."""
    cells = "".join(
        f'<TR><TD CELLPADDING="{SCRIPT_PAD if scripted(r) else LINE_PAD}">'
        f"{html.escape(visible(_written(r), None), quote=False)}</TD></TR>"
        for r in rows
    )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{cells}</TABLE>>'


def record_label(rows: list[Row], rankdir: str) -> str:
    """Rows stacked vertically in a record (fields flip direction with rankdir)."""
    fields = "|".join(escape_record(_written(r)) for r in rows)
    return fields if rankdir in ("LR", "RL") else "{" + fields + "}"


def value_rows(
    node: Value,
    role: str,
    show_grad: bool,
    digits: int,
    ts: Typeset | None = None,
    name: Row | None = None,
) -> list[Row]:
    """The rows of a Value's record: its title (name, else its label), data, and grad or δ."""
    ts = ts or Typeset()
    # a label is words a person wrote, so it may be shortened; the numbers below never are
    label = name or ts.label_tokens(node, visible(node.label or ""))
    rows = [label] if label else []
    rows.append(row("data = ", num(numbers.data(node), digits)))
    if show_grad:
        if role == "preactivation":
            rows.append(row(ts.term_tokens("delta"), " = ", num(numbers.delta(node), digits)))
        else:
            rows.append(row("grad = ", num(numbers.grad(node), digits)))
    return rows


def node_titles(
    forward: list[Value], ts: Typeset, digits: int, given: dict[Value, Row] | None = None
) -> dict[Value, Row]:
    """A title for every node, each different: its label (its Name in the notation), else one
    given, else a constant's value, else its op's forward (from the op row) on its parents'
    titles, shortened to MAX_LABEL; the second node with a title already taken is '… (copy 2)'.

    forward: the nodes, parents first.
    """
    exprs: dict[Value, Expr] = {}  # a node as an expression of its parents' titles
    written: dict[str, str] = {}  # an expression variable -> the title it stands for
    titles: dict[Value, Row] = {}
    shown: dict[Value, str] = {}  # each node's title as text, before '(copy n)'
    taken: Counter[str] = Counter()
    for k, node in enumerate(forward):
        title = ts.label_tokens(node, visible(node.label or "")) or (given or {}).get(node)
        if title is None and not node.parents:
            title = row(num(numbers.data(node), digits))
        if title is None:
            formula = symbolic_row(node.row, [exprs[p] for p in node.parents])
            if not formula.forward_symbolic:  # a call such as x^2 writes its inputs as they are
                args = []
                # a function's argument needs no brackets of its own (ln(1 + e^z)); an
                # operator's operand does ((z − y)², 2^(a + b))
                operator = node.row.family in ("x**c", "c**x") or len(node.parents) == 2
                for i, p in enumerate(node.parents):
                    if exprs[p].kind != "var":
                        written[f"t{k}_{i}"] = f"({shown[p]})" if operator else shown[p]
                    args.append(exprs[p] if exprs[p].kind == "var" else var(f"t{k}_{i}"))
                formula = symbolic_row(node.row, args)
            e = formula.forward
            text = e.unicode(written)
            if len(text) <= MAX_LABEL:
                exprs[node] = e
            else:  # a long formula stands as one (shortened) name in its children's titles
                text = shorten(text)
                written[f"t{k}"] = f"({text})"
                exprs[node] = var(f"t{k}")
            title = row(text)
        else:
            written[f"t{k}"] = _written(title)
            exprs[node] = var(f"t{k}")
        key = shown[node] = _written(title)
        taken[key] += 1
        if taken[key] > 1:
            title = row(title, f" (copy {taken[key]})")
        titles[node] = title
    return titles


def _written(r: Row) -> str:
    return nt.write(r, "unicode")


def _new_digraph(rankdir: str) -> graphviz.Digraph:
    # imported here, not with viz: a browser's Python runs explain() and the layer view without it
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            "drawing a graph needs the graphviz Python package: pip install graphviz"
        ) from e
    return graphviz.Digraph(
        name="deltagrad",
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "fontsize": "11",
            "nodesep": "0.15",
            "ranksep": "0.35",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": "#555555", "arrowsize": "0.6"},
    )


def _legend(
    dot: graphviz.Digraph,
    entries: list[tuple[str, str, Row]],
    ops: bool,
    labels: Labels,
    beside: str | None = None,
    after: str | None = None,
) -> None:
    """The legend: a sample box per role present.

    beside=None: a cluster of boxes on one rank (a column when drawn LR), one rank after the
    node `after` (the root). beside='node id': a column under that node, on its rank (the
    last rank of a collapsed drawing has room: one box, the loss side).
    """
    names = []
    nodes: list[tuple[str, str, dict[str, str]]] = []
    edge = {"edge_positive": palette.POSITIVE, "edge_negative": palette.NEGATIVE}
    for key, colour, tokens in entries:
        names.append(f"legend_{key}")
        labels.rows[f"legend_{key}"] = (FONT, [tokens])
        text = _written(tokens)
        # an edge's sign: the box drawn in the edges' own colour, thick
        border = {"color": edge[key], "penwidth": "3"} if key in edge else {}
        attrs = {
            "label": escape_plain(text),  # the legend is ours: never shortened
            "id": f"legend_{key}",
            "shape": "box",
            "style": "filled",
            "fillcolor": colour,
            "fontsize": f"{FONT:g}",
            "margin": "0.06,0.03",
            "height": "0.3",
            # a floor on the width: renderers that measure text narrower than a browser
            # draws it (the in-process one) would otherwise let the text spill out
            "width": f"{text_width(text, FONT):.2f}",
            **border,
        }
        nodes.append((f"legend_{key}", "", attrs))
    if ops:
        names.append("legend_op")
        nodes.append(
            (
                "legend_op",
                "",
                {
                    "label": escape_plain("op that made the node"),
                    "id": "legend_op",
                    "shape": "ellipse",
                    "color": OP_COLOUR,
                    "fontsize": f"{FONT:g}",
                    "margin": "0.04,0.02",
                    "height": "0.3",
                },
            )
        )
    if beside is not None:
        with dot.subgraph(name="legend_column") as column:
            column.attr(rank="same")
            for name, _, attrs in nodes:
                column.node(name, **attrs)
            for a, b in itertools.pairwise([beside, *names]):
                column.edge(a, b, style="invis")
        return
    # A cluster of sample nodes, one per role present, on one rank one after the root (after=):
    # a column right of the graph when drawn LR (a row along it would be wider than the graph).
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize=f"{FONT:g}", color="#bbbbbb", style="rounded")
        for name, _, attrs in nodes:
            legend.node(name, **attrs)
    if after is not None:
        # dot keeps the order of a node's out-edges when the node says ordering=out: the
        # legend's boxes in a column, in the order of ROLES
        dot.node(after, ordering="out")
        for name in names:
            dot.edge(after, name, style="invis")


# ------------------------------------------------------------------------------- draw
def draw(
    root: Value,
    rankdir: str = "LR",
    max_nodes: int = 500,
    collapse: str | None = "auto",
    *,
    parameters: Iterable[Value] | None = None,
    show_grad: bool | None = None,
    digits: int = 4,
    legend: bool = True,
    notation: str | Notation | None = None,
) -> graphviz.Digraph:
    """The graph of root as a graphviz.Digraph; collapse='neuron' or 'layer' for big networks.

    collapse='auto' (the default) draws every node when the drawing fits a screen (see
    fits_screen), else one box per neuron (two lines each when a layer has more than
    FULL_BOXES neurons), else one box per layer; collapse=None always draws every node, and
    collapse='neuron' full boxes (every number of the neuron) however tall its layers.

    Grads are shown after a backward pass: show_grad=None means "when any node of the graph
    has a non-zero grad" (backward() gives the root grad 1), True/False force it. Labels are
    written in `notation` (a key of nn.notation.NOTATIONS or a Notation; None: the active one).
    """
    return build(
        root,
        rankdir,
        max_nodes,
        collapse,
        parameters=parameters,
        show_grad=show_grad,
        digits=digits,
        legend=legend,
        notation=notation,
    )[0]


def build(
    root: Value,
    rankdir: str = "LR",
    max_nodes: int = 500,
    collapse: str | None = "auto",
    *,
    parameters: Iterable[Value] | None = None,
    show_grad: bool | None = None,
    digits: int = 4,
    legend: bool = True,
    notation: str | Notation | None = None,
    names: dict[Value, Row] | None = None,
    full: bool = True,
) -> tuple[graphviz.Digraph, Labels]:
    """draw()'s Digraph and the Labels it wrote (each node's rows as tokens, for svg_labels).

    full=False: collapse='auto' collapses even a graph estimated to fit (viz.svg() asks so when
    the whole graph, drawn, did not fit a screen).

    names: tokens to show as the first row of nodes that have no label of their own (the names
    a page's text uses for them, so that each is found in the drawing).
    """
    root = check_value(root, "draw()")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if collapse is not None and collapse not in COLLAPSE:
        raise ValueError(f"collapse must be None, 'auto', 'neuron' or 'layer', got {collapse!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    labels = Labels(Typeset(notation))
    params: set[Value] = set()
    for i, p in enumerate(parameters or ()):
        params.add(check_value(p, f"draw(parameters=...) item {i}"))
    auto = collapse == "auto"
    if auto:
        collapse = auto_collapse(root, max_nodes, rankdir) if full else collapsed_choice(root)
    if collapse is None:
        # count first, without walking a huge graph twice
        n = count_nodes(root, max_nodes + 1)
        if n > max_nodes:
            total = len(topological_order(root))
            raise ValueError(
                f"graph has {total} nodes, more than max_nodes={max_nodes}; pass "
                f"collapse='neuron' or collapse='layer', or raise max_nodes"
            )
    labels.collapse, labels.auto = collapse, auto
    order = processing_order(root)
    if show_grad is None:
        show_grad = any(numbers.grad(n) != 0.0 for n in order)
    if collapse is None:
        dot = _draw_values(root, order, rankdir, params, show_grad, digits, legend, labels, names)
    else:
        dot = _draw_groups(
            root, order, rankdir, collapse, max_nodes, show_grad, digits, legend, labels, auto
        )
    return dot, labels


COST_SIDE = 0  # in build_partial's expand: the loss side (the nodes after the last layer)


def build_partial(
    root: Value,
    expand: Iterable[int],
    *,
    rankdir: str = "LR",
    parameters: Iterable[Value] | None = None,
    digits: int = 4,
    notation: str | Notation | None = None,
    names: dict[Value, Row] | None = None,
    pending: Iterable[Value] = (),
    keep: Iterable[Value] | None = None,
) -> tuple[graphviz.Digraph, Labels]:
    """build()'s drawing with the layers in expand drawn node by node, every other layer folded
    into one box per neuron (as collapse='neuron' draws it), with grads shown.

    expand holds Nielsen's layer numbers (the input is layer 1), and COST_SIDE for the loss side
    (the nodes after the last layer). keep: if given, the weights and biases of an expanded
    layer that are not in keep are folded too, into one box per neuron (its z and a stay drawn).
    A node keeps its id v{k} wherever it is drawn in full; a box is named as in
    collapse='neuron' (group_name). A box shows its δ and gradients only when none of its
    nodes is in pending (grads not computed yet), else its data.
    """
    root = check_value(root, "build_partial()")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    wanted = set(expand)
    if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in wanted):
        raise ValueError(
            f"expand must hold layer numbers (ints from 1) or COST_SIDE (0), got {list(wanted)!r}"
        )
    labels = Labels(Typeset(notation))
    labels.collapse = "neuron"
    params = {
        check_value(p, f"build_partial(parameters=...) item {i}")
        for i, p in enumerate(parameters or ())
    }
    order = processing_order(root)
    membership = group_nodes(root, order, "neuron")

    records = identify(forward_order(root))
    kept = None if keep is None else set(keep)

    def folds(node: Value, gid: GroupId) -> bool:  # other leaves are always drawn in full
        kind, layer, _ = gid
        if kind == LOSS_KEY:
            return COST_SIDE not in wanted
        if kind != "neuron":
            return False
        if layer not in wanted:
            return True
        # a weight or bias (a leaf: folding it makes no cycle) the drawing need not show
        return kept is not None and node not in kept and _kind(node, records) in ("w", "b")

    folded = {n: gid for n, gid in membership.items() if folds(n, gid)}
    dot = _draw_values(
        root, order, rankdir, params, True, digits, False, labels, names, folded, set(pending)
    )
    return dot, labels


def _draw_values(
    root: Value,
    order: list[Value],
    rankdir: str,
    params: set[Value],
    show_grad: bool,
    digits: int,
    legend: bool,
    labels: Labels,
    shown: dict[Value, Row] | None = None,
    folded: dict[Value, GroupId] | None = None,
    pending: set[Value] | None = None,
) -> graphviz.Digraph:
    """Every node as a record, except those in folded: one box per group (build_partial)."""
    ts = labels.typeset
    dot = _new_digraph(rankdir)
    index = {n: k for k, n in enumerate(order)}
    present: set[str] = set()
    forward = forward_order(root)
    names = identify(forward)
    folded = folded or {}
    if folded:
        _folded_boxes(dot, root, order, folded, digits, names, labels, pending or set())

    def tail(p: Value) -> str:
        return group_name(folded[p]) if p in folded else f"v{index[p]}"

    # parents before children in the DOT text, first parents first, so the layout reads from
    # the inputs to the loss and w_0 is drawn above w_1
    titles = node_titles(forward, ts, digits, shown)
    drawn: set[tuple[str, str]] = set()
    for node in forward:
        if node in folded:
            continue
        k = index[node]
        node_role = role(node, root, params, names)
        present.add(node_role)
        rows = value_rows(node, node_role, show_grad, digits, ts, titles[node])
        labels.rows[f"v{k}"] = (11.0, rows)
        dot.node(
            f"v{k}",
            label=record_label(rows, rankdir),
            id=f"v{k}",
            shape="record",
            style="filled",
            fillcolor=ROLES[node_role][0],
        )
        if node.parents:
            dot.node(
                f"v{k}op",
                label=escape_plain(node.op),
                id=f"v{k}op",
                shape="ellipse",
                color=OP_COLOUR,
                fontsize=f"{FONT:g}",
                margin="0.04,0.02",
                width="0.3",
                height="0.25",
            )
            for i, p in enumerate(node.parents):
                if (tail(p), f"v{k}op") in drawn:
                    continue  # the second edge from one folded box
                drawn.add((tail(p), f"v{k}op"))
                # an input one rank further back: a column of its own, apart from the weights
                apart = {"minlen": "2"} if _is_input(names.get(p)) else {}
                dot.edge(tail(p), f"v{k}op", id=f"e{k}_{i}", **apart)
            dot.edge(f"v{k}op", f"v{k}", id=f"e{k}op")
    for node in reversed(order):  # edges into folded boxes, one per pair of drawn nodes
        if node not in folded:
            continue
        head = group_name(folded[node])
        for p in node.parents:
            if tail(p) != head and (tail(p), head) not in drawn:
                drawn.add((tail(p), head))
                dot.edge(tail(p), head, id=f"e_{tail(p)}_{head}", color="#55555580")
    _index_order(dot, [n for n in forward if n not in folded], index, names)
    if legend:
        entries = [
            (r, colour, legend_tokens(r, ts)) for r, (colour, _) in ROLES.items() if r in present
        ]
        _legend(dot, entries, len(order) > 1, labels, after="v0")
    return dot


def _folded_boxes(
    dot: graphviz.Digraph,
    root: Value,
    order: list[Value],
    folded: dict[Value, GroupId],
    digits: int,
    names: dict[Value, Name],
    labels: Labels,
    pending: set[Value],
) -> None:
    """The boxes of build_partial's folded layers: one per neuron, a layer's in index order."""
    groups = _make_groups([n for n in order if n in folded], folded)

    def rows(g: Group) -> list[Row]:
        done = not any(n in pending for n in g.nodes)  # its grads are all computed
        return _group_rows(g, root, "neuron", done, digits, names, labels.typeset)

    _group_boxes(dot, groups, rows, labels)


def _group_boxes(
    dot: graphviz.Digraph,
    groups: list[Group],
    rows_of: Callable[[Group], list[Row]],
    labels: Labels,
) -> None:
    """One box per group, its rows from rows_of; the neurons of a layer kept in index order."""
    for g in groups:
        rows = rows_of(g)
        labels.rows[group_name(g.gid)] = (FONT, rows)
        dot.node(
            group_name(g.gid),
            # a table of lines, not a record: dot loses flat edges between records (see below)
            label=box_label(rows),
            id=group_name(g.gid),
            shape="box",
            style="filled",
            margin="0.06,0.02",
            fillcolor=GROUP_ROLES[g.kind][0],
        )
    # the neurons of a layer in index order: invisible edges on one rank keep their order
    layers: dict[int, list[str]] = {}
    for g in groups:
        if g.gid[0] == "neuron":
            layers.setdefault(g.layer, []).append(group_name(g.gid))
    for layer, members in layers.items():
        if len(members) > 1:
            with dot.subgraph(name=f"rank_{layer}") as same:
                same.attr(rank="same")
                for a, b in itertools.pairwise(members):
                    same.edge(a, b, style="invis")


SCREENS = ((1400, 900), (1920, 1080))  # browser windows (px) a drawing is checked against
ASPECT = 0.63  # height / width of a drawing that fits both screens across their width


def fits_screen(width: float, height: float) -> bool:
    """True if a drawing of width × height pt, shown fitted to each of SCREENS' widths (never
    scaled up: 1 pt is 4/3 px), is on screen whole with its FONT-pt text at 11 px or more."""
    for w, h in SCREENS:
        scale = min(4 / 3, w / width)  # px per pt
        if height * scale > h or FONT * scale < 11:
            return False
    return True


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) in pt that Graphviz wrote on an SVG's root element."""
    m = re.search(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if m is None:
        raise ValueError("no width and height in pt on the <svg> element")
    return float(m.group(1)), float(m.group(2))


def auto_collapse(root: Value, max_nodes: int = 500, rankdir: str = "LR") -> str | None:
    """What collapse='auto' draws: None (every node), 'neuron' or 'layer'.

    Every node when the full drawing would fit a screen (estimate_size within SCREEN_PT) or the
    graph has no neurons to collapse into; else a box per neuron while no layer has more than
    TALL_LAYER neurons; else a box per layer.
    """
    if count_nodes(root, max_nodes + 1) <= max_nodes:
        width, height = estimate_size(root, rankdir)
        if width <= SCREEN_PT[0] and height <= SCREEN_PT[1]:
            return None
    return collapsed_choice(root)


def collapsed_choice(root: Value) -> str | None:
    """'neuron' while no layer has more than TALL_LAYER neurons, else 'layer'; None when the
    graph has no neurons to collapse into."""
    forward = forward_order(root)
    names = identify(forward)
    per_layer = Counter(
        (name.layer, name.j) for name in names.values() if name.quantity == "preactivation"
    )
    if not per_layer:
        return None
    tallest = max(Counter(layer for layer, _ in per_layer).values())
    return "neuron" if tallest <= TALL_LAYER else "layer"


RECORD_ROW = 15.0  # pt: the height of one field of a record at FONT
OP_WIDTH = 40.0  # pt: an op's ellipse


def estimate_size(root: Value, rankdir: str = "LR") -> tuple[float, float]:
    """(width, height) in pt that the full drawing of root about takes, drawn LR with its legend.

    A node sits one rank after its deepest parent, an op node between; a leaf sits just before
    the first node that uses it (as dot's layout puts it). A rank is as wide as its widest
    record and as high as its records stacked; the legend is a row above.
    """
    forward = forward_order(root)
    depth: dict[Value, int] = {}
    for node in forward:  # an op's result one rank (two, with its op) after its deepest parent
        if node.parents:
            depth[node] = 1 + max((depth.get(p, 0) for p in node.parents if p.parents), default=0)
    for node in forward:  # a leaf just before the first node that uses it
        for p in node.parents:
            if not p.parents:
                depth[p] = min(depth.get(p, depth[node]), depth[node] - 1)
    depth.setdefault(root, 0)
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}
    ts = Typeset()
    titles = node_titles(forward, ts, 4)
    for node in forward:
        d = depth[node]
        rows = value_rows(node, "other", True, 4, ts, titles[node])
        w = max(text_width(_written(r), FONT) for r in rows) * 72
        widths[d] = max(widths.get(d, 0.0), w)
        heights[d] = heights.get(d, 0.0) + RECORD_ROW * len(rows) + 0.15 * 72
    ranks = len(widths)
    sep = 0.35 * 72
    width = sum(widths.values()) + (ranks - 1) * (OP_WIDTH + 2 * sep)
    # and the legend's column after the root: its widest entry, in a frame
    widest = max(text_width(text, FONT) for _, text in ROLES.values()) * 72
    width += widest + 2 * sep + 20
    height = max(max(heights.values()), len(ROLES) * 38.0 + 30)
    # measured on MLPs up to 2-2-2-1 and a neuron: dot's drawing runs 10 to 25% larger
    width, height = 1.12 * width, 1.2 * height
    return (width, height) if rankdir in ("LR", "RL") else (height, width)


def _is_input(name: Name | None) -> bool:
    return name is not None and name.quantity == "input"


def _index_order(
    dot: graphviz.Digraph, forward: list[Value], index: dict[Value, int], names: dict[Value, Name]
) -> None:
    """The inputs, and each layer's z and a, in index order (j = 0 on top when drawn LR)."""
    columns: dict[tuple[str, int], list[tuple[int, int, Value]]] = {}
    for node in forward:
        name = names.get(node)
        if name is None or name.quantity not in ("input", "preactivation", "activation"):
            continue
        quantity = "activation" if name.quantity == "input" else name.quantity
        columns.setdefault((quantity, name.layer), []).append((name.j, index[node], node))
    for (quantity, layer), members in columns.items():
        members.sort(key=lambda m: (m[0], m[1]))
        if len(members) < 2 or len({j for j, _, _ in members}) < len(members):
            continue  # several examples of one neuron: no single column to order
        # an invisible point one rank before the column, its edges to the column's nodes in
        # order: dot keeps the order of a node's out-edges when the node says ordering=out
        # (flat edges between the nodes themselves would be lost: dot drops them at records)
        anchor = f"order_{quantity}_{layer}"
        dot.node(anchor, label="", shape="point", style="invis", width="0", height="0")
        dot.node(anchor, ordering="out")
        for _, k, _ in members:
            dot.edge(anchor, f"v{k}", style="invis", weight="0")


# ------------------------------------------------------------------------------- collapse
@dataclass
class Group:
    """One box of a collapsed drawing: a neuron, a layer, the loss side, or other leaves."""

    gid: GroupId
    kind: str  # a key of GROUP_ROLES
    nodes: list[Value] = field(default_factory=list)

    @property
    def layer(self) -> int:
        """Nielsen's layer (0 for the loss side and other leaves)."""
        return self.gid[1]

    @property
    def index(self) -> int:
        """The neuron index j (0 for layers, the loss side and other leaves)."""
        return self.gid[2]


LOSS_KEY = "loss"
LEAVES_KEY = "leaves"
# A box: ("neuron", l, j), ("layer", l, 0), ("loss", 0, 0) or ("leaves", 0, 0), l and j Nielsen's
GroupId = tuple[str, int, int]
LOSS: GroupId = (LOSS_KEY, 0, 0)
LEAVES: GroupId = (LEAVES_KEY, 0, 0)


def group_name(gid: GroupId) -> str:
    """A box's graphviz name and SVG id: 'n{l}_{j}', 'L{l}', 'loss' or 'leaves' (never parsed)."""
    kind, layer, j = gid
    if kind == "neuron":
        return f"n{layer}_{j}"
    return f"L{layer}" if kind == "layer" else kind


def group_nodes(
    root: Value, order: list[Value], collapse: str, names: dict[Value, Name] | None = None
) -> dict[Value, GroupId]:
    """Which box each node goes in, as a group id: ('neuron', l, j), ('layer', l, 0), LOSS, LEAVES.

    Named nodes (viz.names.identify: nn's records, else the graph's shape) go by their Name:
    z, a, w and b of neuron j of layer l, input k of layer 1. An unnamed interior node joins
    the group of the nearest named node it feeds; one that feeds none (the cost after the last
    layer) is on the loss side. An unnamed leaf joins the group of the nodes it feeds if they
    are all in one group, else it goes to 'leaves'. Every example of a batch lands in the same
    neuron's box. l and j are Nielsen's (layer 1 is the input), whatever the notation shown.
    """
    if names is None:
        names = identify(forward_order(root))
    children: dict[Value, list[Value]] = {}
    for node in order:
        for p in node.parents:
            kids = children.setdefault(p, [])
            if not kids or kids[-1] is not node:
                kids.append(node)
    group: dict[Value, GroupId] = {}
    distance: dict[Value, float] = {}
    for node in order:  # children before parents
        where = neuron(names.get(node))
        if where is not None:
            layer, j = where
            group[node] = ("neuron", layer, j) if collapse == "neuron" else ("layer", layer, 0)
            distance[node] = 0.0
            continue
        kids = children.get(node, [])
        if node.is_leaf and node is not root:
            keys = {group[c] for c in kids}
            group[node] = keys.pop() if len(keys) == 1 else LEAVES
            distance[node] = math.inf
            continue
        best, best_distance = LOSS, math.inf
        for c in kids:
            if distance[c] + 1.0 < best_distance:
                best, best_distance = group[c], distance[c] + 1.0
        group[node] = best
        distance[node] = best_distance
    return group


def _make_groups(order: list[Value], membership: dict[Value, GroupId]) -> list[Group]:
    groups: dict[GroupId, Group] = {}
    for node in reversed(order):  # parents first: nodes inside a group in forward order
        gid = membership[node]
        g = groups.get(gid)
        if g is None:
            kind, layer, _ = gid
            if kind in (LOSS_KEY, LEAVES_KEY):
                g = Group(gid, kind)
            else:
                g = Group(gid, "inputs" if layer == 1 else "neurons")
            groups[gid] = g
        g.nodes.append(node)
    rank = {LEAVES_KEY: 0, "inputs": 1, "neurons": 1, LOSS_KEY: 2}
    return sorted(groups.values(), key=lambda g: (rank[g.kind], g.layer, g.index))


_KIND = {"weight": "w", "bias": "b", "preactivation": "z", "activation": "a", "input": "a"}


def _kind(node: Value, names: dict[Value, Name]) -> str:
    name = names.get(node)
    return _KIND.get(name.quantity, "") if name is not None else ""


def _examples(zs: list[Value], as_: list[Value]) -> int:
    """How many examples a box's nodes hold: one pre-activation z per example and neuron.

    Activations are not counted when there are z's: a plain expression may apply two activation
    ops to one z (tanh(z) + tanh(z)), which is still one example.
    """
    return len(zs) if zs else len(as_)


def _norm(xs: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in xs))


def _neuron_rows(
    g: Group, show_grad: bool, digits: int, names: dict[Value, Name], ts: Typeset
) -> list[Row]:
    layer, j = g.layer, g.index
    by_kind: dict[str, list[Value]] = {"z": [], "a": [], "b": [], "w": [], "": []}
    for n in g.nodes:
        by_kind[_kind(n, names)].append(n)
    zs, as_, bs, ws, others = (by_kind[k] for k in ("z", "a", "b", "w", ""))
    examples = _examples(zs, as_)
    # over a batch the gradients are of the batch's cost (LFD's E_in, Ng's J)
    batch = examples > 1
    if layer == 1:
        a1 = ts.name_tokens(Name("input", 1, j))
        rows = [row("input ", a1)]
        rows.append(
            row(a1, " = ", num(numbers.data(as_[0]), digits))
            if len(as_) == 1
            else row(plural(len(as_), "example"))
        )
        return rows
    z_name = ts.name_tokens(Name("preactivation", layer, j))
    delta = ts.delta_tokens(Name("preactivation", layer, j))
    b_name = ts.name_tokens(Name("bias", layer, j))
    a_name = ts.name_tokens(Name("activation", layer, j))
    # over a batch the gradients are of the batch's cost (LFD's E_in, Ng's J)
    grad_b = ts.term_tokens("cost", layer, j, wrt="bias", batch=batch)
    rows = [row(ts.neuron_words(layer, j))]
    if examples == 1:
        if zs:  # on the neuron's own line: eight boxes of a layer fit a screen's height
            rows[0] = row(rows[0], ": ", z_name, " = ", num(numbers.data(zs[0]), digits))
            if show_grad:
                rows.append(row(delta, " = ", num(numbers.delta(zs[0]), digits)))
        for a in as_:  # one per activation op over the z (a plain expression may apply two)
            rows.append(row(a_name, " = ", num(numbers.data(a), digits)))
    elif examples > 1:
        t = ts.term_tokens
        rows.append(row(t("preactivation"), ", ", t("activation"), f" over {examples} examples"))
        if show_grad and zs:
            deltas = [numbers.delta(z) for z in zs]
            low, high = num(min(deltas), digits), num(max(deltas), digits)
            rows.append(row(delta, " from ", low, " to ", high))
            # over a batch, ∂C/∂b^l_j is the sum of the examples' δ^l_j (BP3 per example)
            total = num(math.fsum(deltas), digits)
            if not bs:
                rows.append(row(nt.Op("Σ"), delta, " = ", total))
            for b in bs:
                rows.append(
                    row(
                        grad_b,
                        " = ",
                        num(numbers.grad(b), digits),
                        ", ",
                        nt.Op("Σ"),
                        t("delta"),
                        " = ",
                        total,
                    )
                )
            bs = []
    for b in bs:
        if show_grad:
            rows.append(row(grad_b, " = ", num(numbers.grad(b), digits)))
        else:
            rows.append(row(b_name, " = ", num(numbers.data(b), digits)))
    if ws:
        # the weights into neuron j, the source index a letter (LFD's w_ij runs from i to j)
        source = "i" if ts.notation.index_order == "kj" else "k"
        w_any = ts.term_tokens("weight", layer, j, source)
        text = row(f"{plural(len(ws), 'weight')} ", w_any)
        if show_grad:
            grad_w = ts.term_tokens("cost", wrt="weight", batch=batch)
            norm = num(_norm([numbers.grad(w) for w in ws]), digits)
            text = row(text, ", ", nt.Op("‖"), grad_w, nt.Op("‖"), " = ", norm)
        rows.append(text)
    if others:
        rows.append(row(f"+ {plural(len(others), 'other node')}"))
    return rows


def _layer_rows(
    g: Group, show_grad: bool, digits: int, names: dict[Value, Name], ts: Typeset
) -> list[Row]:
    layer = g.layer
    by_kind: dict[str, list[Value]] = {"z": [], "a": [], "b": [], "w": [], "": []}
    neurons: set[int] = set()
    for n in g.nodes:
        by_kind[_kind(n, names)].append(n)
        where = neuron(names.get(n))
        if where is not None:
            neurons.add(where[1])
    zs, as_, bs, ws = (by_kind[k] for k in ("z", "a", "b", "w"))
    count = len(neurons)
    examples = _examples(zs, as_) // max(count, 1)
    t = ts.term_tokens
    words = ts.layer_words(layer)
    if layer == 1:
        return [
            row(f"{words} (input): ", t("input", 1)),
            row(f"{plural(count, 'input')} × {plural(examples, 'example')}"),
        ]
    rows = [
        row(f"{words}: ", t("preactivation", layer), ", ", t("activation", layer)),
        row(f"{plural(count, 'neuron')} × {plural(examples, 'example')}"),
    ]
    batch = examples > 1
    bar, norm = nt.Op("|"), nt.Op("‖")
    if show_grad and zs:
        largest = num(max(abs(numbers.delta(z)) for z in zs), digits)
        rows.append(row("max ", bar, t("delta", layer), bar, " = ", largest))
    if ws or bs:
        rows.append(row(f"{plural(len(ws), 'weight')}, {plural(len(bs), 'bias', 'biases')}"))
        if show_grad:
            # LFD's biases are the weights w^(l)_0j: term writes them so
            grad_w = t("cost", layer, wrt="weight", batch=batch)
            grad_b = t("cost", layer, wrt="bias", batch=batch)
            norm_w = num(_norm([numbers.grad(w) for w in ws]), digits)
            norm_b = num(_norm([numbers.grad(b) for b in bs]), digits)
            rows.append(row(norm, grad_w, norm, " = ", norm_w))
            rows.append(row(norm, grad_b, norm, " = ", norm_b))
    rows.append(row(plural(len(g.nodes), "node")))
    return rows


def _group_rows(
    g: Group,
    root: Value,
    collapse: str,
    show_grad: bool,
    digits: int,
    names: dict[Value, Name],
    ts: Typeset,
    short: bool = False,
    examples: int = 1,
) -> list[Row]:
    if g.kind == LOSS_KEY:
        name = ts.label_tokens(root, visible(root.label or "")) or row("root")
        # short neuron boxes leave the number of examples to the loss side's box
        over = f" over {examples} examples" if short and examples > 1 else ""
        rows = [row("loss side" + over)]
        if root in g.nodes:
            rows.append(row(name, " = ", num(numbers.data(root), digits)))
        ops = sorted({n.op for n in g.nodes if n.op})
        rows.append(row(plural(len(g.nodes), "node") + (f": {' '.join(ops)}" if ops else "")))
        return rows
    if g.kind == LEAVES_KEY:
        return [row("other inputs and constants"), row(plural(len(g.nodes), "leaf", "leaves"))]
    if collapse == "neuron" and short and g.kind == "neurons":
        return _short_neuron_rows(g, show_grad, digits, names, ts)
    if collapse == "neuron":
        return _neuron_rows(g, show_grad, digits, names, ts)
    return _layer_rows(g, show_grad, digits, names, ts)


def _short_neuron_rows(
    g: Group, show_grad: bool, digits: int, names: dict[Value, Name], ts: Typeset
) -> list[Row]:
    """A neuron's box in two lines (a layer too tall for full boxes): its δ, then ∂C/∂b, ‖∂C/∂w‖.

    Without grads: its z (the range over a batch), then b and ‖w‖. The first line starts with
    the neuron's z, which names the neuron.
    """
    layer, j = g.layer, g.index
    by_kind: dict[str, list[Value]] = {"z": [], "a": [], "b": [], "w": [], "": []}
    for n in g.nodes:
        by_kind[_kind(n, names)].append(n)
    zs, as_, bs, ws = (by_kind[k] for k in ("z", "a", "b", "w"))
    batch = _examples(zs, as_) > 1
    z_name = ts.name_tokens(Name("preactivation", layer, j))
    delta = ts.delta_tokens(Name("preactivation", layer, j))

    def spread(values: list[float]) -> Row:
        if len(values) == 1:
            return row(" = ", num(values[0], digits))
        return row(" from ", num(min(values), digits), " to ", num(max(values), digits))

    if show_grad and zs:
        first = row(z_name, ": ", delta, spread([numbers.delta(z) for z in zs]))
    elif zs:
        first = row(z_name, spread([numbers.data(z) for z in zs]))
    else:
        first = row(ts.neuron_words(layer, j))
    second: list[Row] = []
    for b in bs:
        if show_grad:
            grad_b = ts.term_tokens("cost", layer, j, wrt="bias", batch=batch)
            second.append(row(grad_b, " = ", num(numbers.grad(b), digits)))
        else:
            second.append(row(ts.name_tokens(Name("bias", layer, j)), " = ", num(b.data, digits)))
    if ws:
        if show_grad:
            grad_w = ts.term_tokens("cost", wrt="weight", batch=batch)
            values = [numbers.grad(w) for w in ws]
        else:
            grad_w = ts.term_tokens("weight")
            values = [numbers.data(w) for w in ws]
        bar = nt.Op("‖")
        second.append(row(bar, grad_w, bar, " = ", num(_norm(values), digits)))
    rows = [first]
    if second:
        joined: list[Row | str] = []
        for r in second:
            joined += [", ", r] if joined else [r]
        rows.append(row(*joined))
    return rows


def _draw_groups(
    root: Value,
    order: list[Value],
    rankdir: str,
    collapse: str,
    max_nodes: int,
    show_grad: bool,
    digits: int,
    legend: bool,
    labels: Labels,
    auto: bool = False,
) -> graphviz.Digraph:
    ts = labels.typeset
    names = identify(forward_order(root))
    membership = group_nodes(root, order, collapse, names)
    groups = _make_groups(order, membership)
    if len(groups) > max_nodes:
        hint = "pass collapse='layer', or raise max_nodes" if collapse == "neuron" else ""
        raise ValueError(
            f"collapse={collapse!r} still gives {len(groups)} boxes, more than "
            f"max_nodes={max_nodes}; {hint or 'raise max_nodes'}"
        )
    dot = _new_digraph(rankdir)
    tallest = max(Counter(g.layer for g in groups if g.kind == "neurons").values(), default=0)
    # chosen by collapse='auto': two lines a box, so that a tall layer fits a screen's height
    short = auto and collapse == "neuron" and tallest > FULL_BOXES
    first = next((g for g in groups if g.kind == "neurons"), None)
    examples = (
        _examples(*([n for n in first.nodes if _kind(n, names) == k] for k in ("z", "a")))
        if first is not None
        else 1
    )
    if collapse == "neuron":
        dot.graph_attr["ranksep"] = "0.8"  # room between layers to tell the edges apart
        dot.graph_attr["nodesep"] = "0.08" if short else "0.12"
    _group_boxes(
        dot,
        groups,
        lambda g: _group_rows(g, root, collapse, show_grad, digits, names, ts, short, examples),
        labels,
    )
    # one edge per pair of boxes joined by at least one edge of the graph
    edges: dict[tuple[GroupId, GroupId], int] = {}
    for node in reversed(order):
        to = membership[node]
        for p in node.parents:
            frm = membership[p]
            if frm != to:
                edges[(frm, to)] = edges.get((frm, to), 0) + 1
    weights = _edge_weights(order, membership, names, show_grad) if collapse == "neuron" else {}
    for frm_id, to_id in edges:
        style = weights.get((frm_id, to_id))
        tail, head = group_name(frm_id), group_name(to_id)
        if style is None:
            dot.edge(tail, head, id=f"e_{tail}_{head}", color="#55555580")
        else:
            dot.edge(tail, head, id=f"e_{tail}_{head}", arrowsize="0.4", **style)
    if legend:
        kinds = {g.kind for g in groups}
        entries = [
            (k, c, legend_tokens(k, ts, group=True))
            for k, (c, _) in GROUP_ROLES.items()
            if k in kinds
        ]
        if collapse == "layer":
            layer_row = _parts_tokens(ts, "layer")
            entries = [(k, c, layer_row if k == "neurons" else t) for k, c, t in entries]
        if weights:
            src = "i" if ts.notation.index_order == "kj" else "k"
            t = ts.term_tokens
            bar = nt.Op("|")
            what = (
                t("cost", None, "j", src, wrt="weight")
                if show_grad
                else t("weight", None, "j", src)
            )
            sign = t("cost", wrt="weight") if show_grad else t("weight")
            entries.append(
                (
                    "edges",
                    "#ffffff",
                    row(f"edge {src} → j: width ∝ ", bar, what, bar, ", scaled per layer"),
                )
            )
            entries.append(
                ("edge_positive", "#ffffff", row(f"{palette.CLASS_NAMES[1]}: ", sign, " > 0"))
            )
            entries.append(
                ("edge_negative", "#ffffff", row(f"{palette.CLASS_NAMES[0]}: ", sign, " < 0"))
            )
        # a column under the last box (the loss side), whose rank has room for it
        _legend(dot, entries, False, labels, beside=group_name(groups[-1].gid))
    return dot


def _edge_weights(
    order: list[Value],
    membership: dict[Value, GroupId],
    names: dict[Value, Name],
    show_grad: bool,
) -> dict[tuple[GroupId, GroupId], dict[str, str]]:
    """Edge attributes between neuron boxes: width and opacity by |∂C/∂w| (or |w|), colour by sign.

    The edge from box k of layer l−1 to box j of layer l stands for the weight w^l_jk (the one
    weight node in neuron j's box whose record says k). Each layer is scaled to its own largest
    value, so a layer of small gradients still shows which weights matter most in it.
    """
    values: dict[tuple[GroupId, GroupId], float] = {}
    for node in order:
        name = names.get(node)
        if name is None or name.quantity != "weight":
            continue
        to = membership.get(node)
        frm: GroupId = ("neuron", name.layer - 1, name.k)
        if to is None or to[0] != "neuron" or frm == to:
            continue
        values[(frm, to)] = numbers.grad(node) if show_grad else numbers.data(node)
    largest: dict[int, float] = {}  # by layer
    for (_, to), v in values.items():
        if math.isfinite(v):
            largest[to[1]] = max(largest.get(to[1], 0.0), abs(v))
    styles = {}
    for (frm, to), v in values.items():
        top = largest.get(to[1], 0.0)
        r = min(1.0, abs(v) / top) if top > 0 and math.isfinite(v) else 1.0
        colour = palette.sign_colour(v)  # blue above 0, orange below, as everywhere
        alpha = round(255 * (0.12 + 0.88 * r))
        styles[(frm, to)] = {
            "color": f"{colour}{alpha:02x}",
            "penwidth": f"{0.3 + 3.7 * r:.2f}",
        }
    return styles
