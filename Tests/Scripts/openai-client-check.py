#!/usr/bin/env python3
"""`proctor model serve` checked with a client nobody here wrote: the `openai` Python package.

usage: openai-client-check.py PROCTOR MODEL TOKENIZER   (run by .ci/run inside a throwaway venv)

Starts the server on a free loopback port, calls completions, chat completions and both streamed,
checks that streamed text equals the whole answer, that usage and finish reasons are what the
client expects, that a bad request is a 400 the client raises as BadRequestError, and that Ctrl-C
stops the server with exit code 0.
"""
import json
import sys

import openai

import served  # beside this script

proctor, model, tokenizer = sys.argv[1:4]
server = served.launch(proctor, model, tokenizer)
check = served.check


try:
    client = served.client(server)

    models = [m.id for m in client.models.list().data]
    check("models lists the served model", models == ["proctor-builtin"], models)

    c = client.completions.create(model="proctor-builtin", prompt="Once upon a time", max_tokens=16, temperature=0)
    check("completion has text", isinstance(c.choices[0].text, str) and c.choices[0].finish_reason in ("stop", "length"), c)
    check("completion usage adds up", c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens, c.usage)
    streamed = "".join(ch.choices[0].text for ch in client.completions.create(
        model="proctor-builtin", prompt="Once upon a time", max_tokens=16, temperature=0, stream=True) if ch.choices)
    check("streamed completion equals the whole one", streamed == c.choices[0].text, (streamed, c.choices[0].text))

    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Once upon a time"}]
    chat = client.chat.completions.create(model="proctor-builtin", messages=messages, max_tokens=16)
    check("chat answer is from the assistant", chat.choices[0].message.role == "assistant", chat)
    parts, usage, finish = [], None, None
    for ch in client.chat.completions.create(model="proctor-builtin", messages=messages, max_tokens=16, stream=True,
                                             stream_options={"include_usage": True}):
        if ch.usage:
            usage = ch.usage
        for choice in ch.choices:
            if choice.delta.content:
                parts.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason
    check("streamed chat equals the whole one", "".join(parts) == chat.choices[0].message.content, ("".join(parts), chat.choices[0].message.content))
    check("streamed chat ends with a finish reason", finish == chat.choices[0].finish_reason, finish)
    check("streamed chat reports usage", usage is not None and usage.completion_tokens == chat.usage.completion_tokens, usage)
    stopped = client.completions.create(model="proctor-builtin", prompt="Once upon a time", max_tokens=16, temperature=0, stop=[c.choices[0].text[2:4] or "zz"])
    check("a stop string ends the text before it", len(stopped.choices[0].text) <= len(c.choices[0].text), stopped.choices[0].text)

    schema = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 12}, "score": {"type": "integer", "minimum": 0, "maximum": 9}},
              "required": ["answer", "score"], "additionalProperties": False}
    structured = client.chat.completions.create(model="proctor-builtin", messages=messages, temperature=1, seed=3,
                                                response_format={"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": schema}})
    content = json.loads(structured.choices[0].message.content)
    check("response_format json_schema gives an instance of the schema",
          set(content) == {"answer", "score"} and isinstance(content["score"], int) and 0 <= content["score"] <= 9 and len(content["answer"]) <= 12, content)
    check("a constrained answer ends with finish reason stop", structured.choices[0].finish_reason == "stop", structured.choices[0].finish_reason)
    anyobj = client.chat.completions.create(model="proctor-builtin", messages=messages, temperature=1, response_format={"type": "json_object"})
    check("response_format json_object gives a JSON object", isinstance(json.loads(anyobj.choices[0].message.content), dict), anyobj.choices[0].message.content)

    try:
        client.completions.create(model="no-such-model", prompt="x")
        check("an unknown model is refused", False, "no error")
    except openai.BadRequestError as e:
        check("an unknown model is a 400 the client raises", e.status_code == 400 and "no-such-model" in str(e), e)
    try:
        client.chat.completions.create(model="proctor-builtin", messages=[{"role": "user", "content": "x"}], n=3)
        check("n > 1 is refused", False, "no error")
    except openai.BadRequestError as e:
        check("n > 1 is a 400 naming the parameter", e.status_code == 400 and e.body.get("param") == "n", e.body)
finally:
    served.stop(server)

served.finish("openai-client-check")
