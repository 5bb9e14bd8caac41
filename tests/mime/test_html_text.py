"""HTML to text for previews and search (RFC 8621 §4.1.4 preview is plain text)."""

from __future__ import annotations

from jmapd.mime import html_to_text


def test_blocks_become_lines_and_inline_joins():
    """Block elements end lines; inline markup does not break words."""
    assert html_to_text("<div>Hello <b>wor</b>ld</div><p>Second</p>line<br>three") == "Hello world\nSecond\nline\nthree"


def test_script_style_comments_dropped_case_insensitively():
    """Non-content elements contribute no text, whatever their case."""
    html = "<HTML><HEAD><TITLE>t</TITLE><STYLE>p{}</STYLE></HEAD><body><!-- c -->A<Script>x()</SCRIPT>B</body></HTML>"
    assert html_to_text(html) == "AB"


def test_entities_decoded_after_tags_removed():
    """Entities are decoded once; an escaped tag is text, not markup."""
    assert html_to_text("a&nbsp;&amp;&nbsp;b &lt;i&gt; &#233;&eacute;") == "a & b <i> éé"


def test_source_whitespace_collapses():
    """Source newlines and runs of white space are one space, as rendered."""
    assert html_to_text("one\n  two\r\n\tthree") == "one two three"


def test_malformed_html():
    """Unclosed tags and a stray "<" keep their text; an unclosed script hides the rest."""
    assert html_to_text("1 < 2 and <b>bold") == "1 < 2 and bold"
    assert html_to_text("<p>keep<script>hide") == "keep"
    assert html_to_text("") == ""


def test_table_cells_separated():
    """Table cells are separated by spaces, rows by lines."""
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc"
