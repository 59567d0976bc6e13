"""The `logs` view: the log rows the ingest stored (`stored_logs`), with the text columns that only repeat
the input derived when they are read.

A logging-wrapper record with a bare prompt has as its messages one user message holding that prompt; a
prompt tagged `<question>` / `<context>` holds its question and context. Stored, each is another copy of
the prompt: on RAG prompts of ~5 KB, deriving and compressing those copies was ~8 of the 10.9 s the
ingest took to store 67k rows, and ~0.6 s of 1.4 s on the bench's short prompts. Derived on read, only
the rows a query reads pay for them, and a query that does not read these columns pays nothing.

What a record logged itself (its own messages, question or context) is stored and always wins. Rows
stored before the view (migration m009) carry their derived columns, which therefore win too: the same
values. Derived from the stored input, which is redacted, the columns hold no PII the input does not.
"""

from __future__ import annotations

# Formats whose records can carry a bare prompt (a table's rows are logging-wrapper records)
BARE_PROMPT_FORMATS = ("wrapper", "table")
_WHITESPACE = ["' '", "chr(9)", "chr(10)", "chr(11)", "chr(12)", "chr(13)"]


def logs_view_sql() -> str:
    """CREATE OR REPLACE VIEW logs: stored_logs with input_messages, question and context completed."""
    # json_array(json_object('role', 'user', 'content', input_text)), written out: 2x faster
    user = """('[{"role":"user","content":' || to_json(input_text) || '}]')::JSON"""
    bare = f"source_format IN {BARE_PROMPT_FORMATS!r} AND input_text IS NOT NULL"
    messages = f"coalesce(input_messages, CASE WHEN {bare} THEN {user} END)"
    question = f"coalesce(question, nullif({_stripped('_tag_question')}, ''))"
    context = (
        f"coalesce(context, CASE WHEN _after_context IS NOT NULL "
        f"THEN to_json([coalesce({_stripped('_tag_context')}, '')]) END)"
    )
    # the tags' insides first, as columns (the stripping looks at each one a dozen times), and before them
    # the text after each opening tag, which finding the inside needs twice
    return f"""CREATE OR REPLACE VIEW logs AS
        SELECT * EXCLUDE (_tag_question, _tag_context, _after_question, _after_context)
                 REPLACE ({messages} AS input_messages, {question} AS question, {context} AS context)
        FROM (SELECT *, {_inside("_after_question", "question")} AS _tag_question,
                     {_inside("_after_context", "context")} AS _tag_context
              FROM (SELECT *, {_after_last("input_text", "question")} AS _after_question,
                           {_after_last("input_text", "context")} AS _after_context FROM stored_logs))"""


def _after_last(column: str, tag: str) -> str:
    """The text after the last <tag> (NULL if none). String splits, not a `(?s).*<tag>(.*?)</tag>` regex:
    3.5x faster on prompts of a few KB."""
    return f"CASE WHEN contains({column}, '<{tag}>') THEN split_part({column}, '<{tag}>', -1) END"


def _inside(after: str, tag: str) -> str:
    """Of `after` (the text after the last <tag>), the text before the first </tag> (NULL if none)."""
    return f"CASE WHEN contains({after}, '</{tag}>') THEN split_part({after}, '</{tag}>', 1) END"


def _stripped(text: str) -> str:
    """`text` without leading and trailing whitespace (str.strip's ASCII set). DuckDB's trim() walks the
    whole string: 4x slower than looking at both ends first, and most values need no trimming."""
    ends = " OR ".join(f"starts_with({text}, {c}) OR ends_with({text}, {c})" for c in _WHITESPACE)
    return f"CASE WHEN {ends} THEN trim({text}, E' \\t\\n\\r\\f\\v') ELSE {text} END"
