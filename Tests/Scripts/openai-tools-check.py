#!/usr/bin/env python3
"""Tool calling in `proctor model serve`, checked with clients nobody here wrote: the `openai`
Python package, and Python `jsonschema` for every call's arguments.

usage: openai-tools-check.py PROCTOR MODEL TOKENIZER   (run by .ci/run inside a throwaway venv)

With the default model (trained on when to call get_weather): `auto` calls the tool for a weather
question and answers a greeting in words; `required` and a named tool always call; the result sent
back as a `role: "tool"` message gets an answer; a streamed call adds up to the whole one; a
`tool_choice` naming no tool is a 400 the client raises.
"""
import json
import sys

import jsonschema
import openai

import served  # beside this script

proctor, model, tokenizer = sys.argv[1:4]
server = served.launch(proctor, model, tokenizer)
check = served.check


weather = {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 14}},
           "required": ["location", "days"], "additionalProperties": False}
clock = {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET", "JST"]}, "hour24": {"type": "boolean"}},
         "required": ["zone"], "additionalProperties": False}
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Forecast for a place", "parameters": weather}},
         {"type": "function", "function": {"name": "get_time", "description": "The time in a zone", "parameters": clock}}]
schemas = {"get_weather": weather, "get_time": clock}


def valid_calls(message):
    """Every call's arguments parse and validate against its tool's schema."""
    try:
        for call in message.tool_calls or []:
            jsonschema.validate(json.loads(call.function.arguments), schemas[call.function.name])
        return bool(message.tool_calls)
    except (jsonschema.ValidationError, json.JSONDecodeError, KeyError) as e:
        print(f"     {e}")
        return False


def ask(text):
    return [{"role": "system", "content": "tool"}, {"role": "user", "content": text}]


try:
    client = served.client(server)

    rain = client.chat.completions.create(model="proctor-builtin", messages=ask("Will it rain in Oslo in the next 2 days?"), tools=tools,
                                          tool_choice="auto", max_tokens=64, stop=["\n"])
    m = rain.choices[0].message
    check("auto: a weather question calls get_weather", rain.choices[0].finish_reason == "tool_calls" and m.tool_calls
          and m.tool_calls[0].function.name == "get_weather", rain)
    check("auto: its arguments validate with jsonschema", valid_calls(m), m)
    check("auto: the call names Oslo", m.tool_calls and json.loads(m.tool_calls[0].function.arguments).get("location") == "Oslo", m)

    hello = client.chat.completions.create(model="proctor-builtin", messages=ask("Say hello to Maria."), tools=tools, max_tokens=64, stop=["\n"])
    check("auto: a greeting is answered in words", hello.choices[0].finish_reason == "stop" and not hello.choices[0].message.tool_calls
          and "Maria" in (hello.choices[0].message.content or ""), hello)

    if m.tool_calls:
        call = m.tool_calls[0]
        back = client.chat.completions.create(
            model="proctor-builtin", tools=tools, max_tokens=64, stop=["\n"],
            messages=ask("Will it rain in Oslo in the next 2 days?") + [
                {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"location": "Oslo", "forecast": "rain", "tempC": 12})}])
        said = back.choices[0].message.content or ""
        check("the tool's result sent back is answered from", back.choices[0].finish_reason == "stop" and "rain" in said, back)

    for choice, name in [("required", None), ({"type": "function", "function": {"name": "get_time"}}, "get_time")]:
        for text in ["Say hello to Maria.", "Forecast for Lima, next 7 days."]:
            r = client.chat.completions.create(model="proctor-builtin", messages=ask(text), tools=tools, tool_choice=choice, temperature=1, seed=7)
            msg = r.choices[0].message
            ok = r.choices[0].finish_reason == "tool_calls" and len(msg.tool_calls or []) == 1 and (name is None or msg.tool_calls[0].function.name == name)
            check(f"tool_choice {json.dumps(choice)} calls a tool ({text})", ok, r)
            check(f"tool_choice {json.dumps(choice)}: arguments validate ({text})", valid_calls(msg), msg)

    whole = client.chat.completions.create(model="proctor-builtin", messages=ask("Forecast for Lima, next 7 days."), tools=tools, tool_choice="required")
    name, args, finish, ids = "", "", None, set()
    for chunk in client.chat.completions.create(model="proctor-builtin", messages=ask("Forecast for Lima, next 7 days."), tools=tools,
                                                tool_choice="required", stream=True):
        if not chunk.choices:
            continue
        for tc in chunk.choices[0].delta.tool_calls or []:
            if tc.id:
                ids.add(tc.id)
            if tc.function and tc.function.name:
                name += tc.function.name
            if tc.function and tc.function.arguments:
                args += tc.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    w = whole.choices[0].message.tool_calls[0]
    check("a streamed call adds up to the whole one", (name, args, ids) == (w.function.name, w.function.arguments, {w.id}), (name, args, ids, w))
    check("a streamed call ends with finish reason tool_calls", finish == "tool_calls", finish)

    try:
        client.chat.completions.create(model="proctor-builtin", messages=ask("x"), tools=tools,
                                       tool_choice={"type": "function", "function": {"name": "nope"}})
        check("a tool_choice naming no tool is refused", False, "no error")
    except openai.BadRequestError as e:
        check("a tool_choice naming no tool is a 400 naming the parameter", e.status_code == 400 and e.body.get("param") == "tool_choice", e.body)
finally:
    served.stop(server)

served.finish("openai-tools-check")
