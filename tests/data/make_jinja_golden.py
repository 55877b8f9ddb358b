"""Writes tests/data/jinja/golden.json: chat templates rendered by Python's jinja2 exactly as transformers'
apply_chat_template renders them (the environment comes from transformers' own `_compile_jinja_template`:
ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson / raise_exception /
strftime_now / namespace / dict globals), for the C++ interpreter's test tests/unit/test_jinja.cpp.

Three groups of cases:
  * "family": tests/data/jinja/templates/*.jinja (written after the public Qwen2.5, Qwen3, QwQ, Llama-3.1/3.2
    and DeepSeek-V3/R1 chat templates) over a set of conversations; each output is also checked to equal
    transformers' render_jinja_template (the apply_chat_template path) on the same inputs;
  * "construct": small templates, one per construct (whitespace control, loops, filters, tests, ...);
  * "error": bad templates with the line jinja2 reports (syntax / unknown filter) or the runtime message.
strftime_now is fixed at NOW so the outputs are reproducible. Run from the repository root:
    python3 tests/data/make_jinja_golden.py
"""
import datetime
import json
import os

import jinja2
from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "jinja", "templates")
NOW = datetime.datetime(2024, 7, 26, 10, 5, 9)


def compile_template(source):
    template = _compile_jinja_template(source)
    template.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return template


def base_context(messages, **extra):
    ctx = {"messages": messages, "tools": None, "documents": None, "add_generation_prompt": False,
           "bos_token": "<s>", "eos_token": "</s>"}
    ctx.update(extra)
    return ctx


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city, e.g. \"Paris\" or 'Zürich'.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
SEARCH_TOOL = {"type": "function", "function": {
    "name": "search", "description": "Search the web.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "top_k": {"type": "integer",
                   "default": 5}}, "required": ["query"]}}}

SIMPLE = [{"role": "user", "content": "What is 2+2?"}]
WITH_SYSTEM = [{"role": "system", "content": "You are a terse assistant.\n"},
               {"role": "user", "content": "Say \"hi\" in French, it's easy."}]
MULTI_TURN = [{"role": "system", "content": "Be helpful."},
              {"role": "user", "content": "Hello!"},
              {"role": "assistant", "content": "Hi there. How can I help?"},
              {"role": "user", "content": "Ünïcödé test: 日本語, emoji 🎉, tab\tand\nnewline."},
              {"role": "assistant", "content": "Noted:  日本語 🎉"},
              {"role": "user", "content": "  padded question  "}]
THINKING = [{"role": "user", "content": "Compute 3*7."},
            {"role": "assistant", "content": "<think>\n3*7 = 21.\n</think>\n\nThe answer is 21."},
            {"role": "user", "content": "And 4*5?"},
            {"role": "assistant", "content": "<think>4*5 is 20</think>20"}]
REASONING_FIELD = [{"role": "user", "content": "Why is the sky blue?"},
                   {"role": "assistant", "content": "Rayleigh scattering.",
                    "reasoning_content": "\nShort wavelengths scatter more.\n"},
                   {"role": "user", "content": "Thanks"}]


def tool_chat(arguments_as_string):
    def args(d):
        return json.dumps(d, ensure_ascii=False) if arguments_as_string else d
    return [{"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "Weather in Zürich and news about \"AI\"?"},
            {"role": "assistant", "content": "<think>Need two tools.</think>Let me check.",
             "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                               "arguments": args({"city": "Zürich"})}},
                            {"type": "function", "function": {"name": "search",
                                                               "arguments": args({"query": "AI \"news\"",
                                                                                  "top_k": 3})}}]},
            {"role": "tool", "content": "{\"temperature\": 21.5, \"unit\": \"celsius\"}"},
            {"role": "tool", "content": "No results."},
            {"role": "assistant", "content": "It is 21.5 °C in Zürich; no AI news found."},
            {"role": "user", "content": "Thanks!"}]


def single_tool_chat():
    return [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                               "arguments": {"city": "Paris", "unit": "celsius"}}}]},
            {"role": "tool", "content": "{\"temperature\": 18}"},
            {"role": "assistant", "content": "18 degrees."}]


def deepseek_tool_chat():
    chat = tool_chat(True)
    chat[2] = dict(chat[2], content=None)
    return chat


def family_cases():
    conversations = {"simple": SIMPLE, "system": WITH_SYSTEM, "multi_turn": MULTI_TURN, "thinking": THINKING,
                     "reasoning_field": REASONING_FIELD}
    cases = []

    def add(template, name, ctx):
        cases.append({"name": f"{template}/{name}", "template_file": f"{template}.jinja", "context": ctx})

    for template in ["qwen2_5", "qwen3", "qwq", "llama3_1", "llama3_2", "deepseek_v3", "deepseek_r1"]:
        for name, chat in conversations.items():
            for gen in (False, True):
                add(template, f"{name}/gen={gen}", base_context(chat, add_generation_prompt=gen))
    for template in ["qwen2_5", "qwen3", "qwq"]:
        add(template, "tools", base_context(tool_chat(False), tools=[WEATHER_TOOL, SEARCH_TOOL],
                                            add_generation_prompt=True))
        add(template, "tools_no_system", base_context(tool_chat(False)[1:], tools=[WEATHER_TOOL]))
        add(template, "tool_args_string", base_context(tool_chat(True), tools=[SEARCH_TOOL]))
    for thinking in (True, False):
        for name, chat in [("simple", SIMPLE), ("thinking", THINKING), ("tools", tool_chat(False))]:
            add("qwen3", f"enable_thinking={thinking}/{name}",
                base_context(chat, add_generation_prompt=True, enable_thinking=thinking))
    for template in ["llama3_1", "llama3_2"]:
        add(template, "tools_in_user", base_context(single_tool_chat(), tools=[WEATHER_TOOL],
                                                    add_generation_prompt=True))
        add(template, "tools_in_system", base_context(single_tool_chat(), tools=[WEATHER_TOOL, SEARCH_TOOL],
                                                      tools_in_user_message=False))
        add(template, "date_string", base_context(WITH_SYSTEM, date_string="01 Jan 2025",
                                                  add_generation_prompt=True))
        add(template, "builtin_tools", base_context(
            [{"role": "user", "content": "Search for cats"},
             {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                 "name": "brave_search", "arguments": {"query": "cats", "count": "3"}}}]},
             {"role": "ipython", "content": {"results": ["a", "b"]}},
             {"role": "tool", "content": "plain text result"}],
            builtin_tools=["brave_search", "code_interpreter", "wolfram_alpha"]))
    for template in ["deepseek_v3", "deepseek_r1"]:
        add(template, "tools", base_context(deepseek_tool_chat(), add_generation_prompt=True))
        add(template, "tools_pending", base_context(deepseek_tool_chat()[:5], add_generation_prompt=True))
        add(template, "two_systems", base_context([{"role": "system", "content": "A"},
                                                   {"role": "system", "content": "B"}] + SIMPLE))
    return cases


# Small templates, one construct each; all rendered with CONSTRUCT_CONTEXT.
CONSTRUCT_CONTEXT = {
    "messages": MULTI_TURN, "name": "World", "n": 7, "x": 2.5, "flag": True, "empty": "", "nothing": None,
    "items": [3, 1, 2], "words": ["b", "A", "c", "a"], "d": {"b": 1, "a": 2, "items": "key named items"},
    "text": "  Hello, World!  \n", "csv": "a,b,,c", "nested": {"l": [{"k": "v1", "n": 1}, {"k": "v2", "n": 2},
                                                               {"n": 3}]},
    "uni": "héllo wörld 🎉", "quote": "it's \"quoted\"\\ and\ttabbed\nnewline\u2028sep\u00a0nbsp\x01",
    "floats": [1.0, 0.1, 1e-05, 1e16, 123456789.123, -0.0, 3.0e-7, 1e300, 2.5e-5, 100.0],
    "big": 12345678901234, "tools": [WEATHER_TOOL], "add_generation_prompt": True, "bos_token": "<s>",
}

CONSTRUCTS = {
    # whitespace control, trim_blocks, lstrip_blocks
    "ws_trim_blocks": "{% if true %}\nA\n{% endif %}\nB\n",
    "ws_lstrip": "x\n    {% if true %}\n    y\n    {% endif %}\nz",
    "ws_lstrip_var_not_stripped": "x\n    {{ name }}\n    {# c #}\nz",
    "ws_minus_both": "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c",
    "ws_var_minus": "a \n {{- name -}} \n b",
    "ws_plus": "a\n    {%+ if true %}b{% endif %}\n",
    "ws_plus_end": "{% if true +%}\nkeep newline{% endif %}",
    "ws_comment": "a\n  {# comment #}\nb {#- strip -#}   c\n{# x #}d",
    "ws_inline_blocks": "  {% for i in items %}{{ i }} {% endfor %}\nend",
    "ws_text_before_tag": "text {% if true %}\nX{% endif %}  \n",
    "ws_trailing_newline": "line\n\n",
    "ws_crlf": "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc",
    "ws_raw": "{% raw %}{{ not rendered }} {% if %}{% endraw %}\n{{ name }}",
    "ws_tab_lstrip": "a\n\t\t{% if true %}\n\tb\n\t{% endif %}",
    # loops
    "loop_vars": "{% for w in words %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}"
                 "/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}:{{ w }};{% endfor %}",
    "loop_prev_next": "{% for i in items %}[{{ loop.previtem if loop.previtem is defined else '-' }}<{{ i }}>"
                      "{{ loop.nextitem if loop.nextitem is defined else '-' }}]{% endfor %}",
    "loop_filter": "{% for i in items if i > 1 %}{{ i }}:{{ loop.index }}/{{ loop.length }} {% endfor %}",
    "loop_else": "{% for i in [] %}{{ i }}{% else %}empty{% endfor %}|{% for i in items %}{{i}}{% else %}no{% endfor %}",
    "loop_unpack_items": "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "loop_unpack_filter": "{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}",
    "loop_dict_keys": "{% for k in d %}{{ k }},{% endfor %}",
    "loop_string": "{% for c in uni %}[{{ c }}]{% endfor %}",
    "loop_scope": "{% set x = 1 %}{% for i in items %}{% set x = i %}{{ x }}{% endfor %}|{{ x }}",
    "loop_nested": "{% for m in messages %}{% for c in m.role %}{% if loop.first %}{{ c }}{% endif %}{% endfor %}"
                   "{{ loop.index }}{% endfor %}",
    "loop_cycle": "{% for i in items %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
    "loop_break_continue": "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 5 %}"
                           "{% break %}{% endif %}{{ i }}{% endfor %}",
    "loop_range": "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }}",
    "loop_messages_reversed": "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}",
    # set / namespace / macro / call / filter block
    "set_namespace": "{% set ns = namespace(a=1, s='x') %}{% for i in items %}{% set ns.a = ns.a + i %}"
                     "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.a }} {{ ns.s }}",
    "set_block": "{% set body %}\n  Hello {{ name }}!\n{% endset %}[{{ body }}]",
    "set_block_filter": "{% set body | upper | trim %}  hi {{ name }}  {% endset %}[{{ body }}]",
    "set_tuple": "{% set a, b = 1, 'two' %}{{ a }}{{ b }}",
    "set_override_context": "{% set messages = messages[1:] %}{{ messages | length }}",
    "macro_basic": "{% macro greet(who, punct='!') %}Hi {{ who }}{{ punct }}{% endmacro %}"
                   "{{ greet(name) }} {{ greet('you', punct='?') }} {{ greet(who='kw') }}",
    "macro_call_block": "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                        "{% call wrap('b') %}bold {{ name }}{% endcall %}",
    "filter_block": "{% filter upper %}shout {{ name }}{% endfilter %}",
    "generation_block": "{% generation %}gen {{ name }}{% endgeneration %}",
    # filters
    "filter_trim": "[{{ text | trim }}] [{{ '--x--' | trim('-') }}] [{{ '  \u3000x\u3000 ' | trim }}]",
    "filter_case": "{{ name | upper }} {{ name | lower }} {{ 'hELLO wORLD' | capitalize }} "
                   "{{ 'hello big-world (x) [y]' | title }}",
    "filter_replace": "{{ csv | replace(',', ';') }} {{ csv | replace(',', '', 2) }} {{ 'aaa' | replace('a', 'b', 1) }}",
    "filter_join": "{{ words | join(', ') }} {{ items | join }} {{ nested.l | join('|', attribute='n') }}",
    "filter_first_last": "{{ words | first }} {{ words | last }} {{ uni | first }} {{ uni | last }}",
    "filter_default": "{{ missing | default('dflt') }} {{ empty | default('x') }} {{ empty | default('x', true) }}"
                      " {{ nothing | d('none-d') }} {{ missing | d }}",
    "filter_length": "{{ words | length }} {{ uni | length }} {{ d | count }} {{ missing | length }}",
    "filter_numbers": "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int(-1) }} {{ 3.9 | int }} {{ '2.5' | float }}"
                      " {{ 'x' | float }} {{ 7 | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }}",
    "filter_list_reverse": "{{ uni | list }} {{ items | reverse | list }} {{ uni | reverse }} {{ d | list }}",
    "filter_sort_unique": "{{ words | sort }} {{ words | sort(reverse=true) }} {{ words | sort(case_sensitive=true) }}"
                          " {{ words | unique | list }} {{ items | max }} {{ items | min }} {{ items | sum }}",
    "filter_select": "{{ nested.l | selectattr('k', 'defined') | map(attribute='k') | list }} "
                     "{{ nested.l | rejectattr('k') | map(attribute='n') | list }} "
                     "{{ items | select('odd') | list }} {{ items | reject('even') | list }} "
                     "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}",
    "filter_map": "{{ words | map('upper') | join }} {{ nested.l | map(attribute='k', default='?') | join(',') }}",
    "filter_string_safe_escape": "{{ 3 | string }}{{ items | string }} {{ '<a href=\"x\">&\\'</a>' | e }} "
                                 "{{ '<b>' | safe }} {{ '<i>' | escape }}",
    "filter_tojson": "{{ tools | tojson }}\n{{ d | tojson }}\n{{ quote | tojson }}\n{{ uni | tojson }}\n"
                     "{{ floats | tojson }}\n{{ [none, true, false, 1, 'x', (1, 2)] | tojson }}",
    "filter_tojson_indent": "{{ tools | tojson(indent=4) }}\n{{ {'a': [], 'b': {}, 'c': [1, [2]]} | tojson(indent=2) }}"
                            "\n{{ d | tojson(indent='\\t') }}",
    "filter_tojson_options": "{{ {'b': 1, 'a': 'é'} | tojson(sort_keys=true) }} {{ uni | tojson(ensure_ascii=true) }} "
                             "{{ d | tojson(separators=(',', ':')) }} {{ {1: 'int key', true: 'b'} | tojson }}",
    "filter_indent": "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(first=true) }}|{{ 'x\\n\\ny' | indent(2, blank=true) }}",
    "filter_wordcount_items": "{{ 'one two  three' | wordcount }} {{ d | items | list }}",
    # tests
    "tests_types": "{% for v in [1, 1.5, 'a', [1], {'a': 1}, none, true, false, (1,)] %}"
                   "{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is mapping }}"
                   "{{ v is iterable }}{{ v is sequence }}{{ v is boolean }}{{ v is none }}{{ v is true }}"
                   "{{ v is false }}{{ v is callable }};{% endfor %}",
    "tests_defined": "{{ name is defined }} {{ missing is defined }} {{ missing is undefined }} {{ nothing is none }}"
                     " {{ nothing is not none }} {{ name is not none }} {{ d.a is defined }} {{ d.zz is defined }}"
                     " {{ missing is iterable }} {{ raise_exception is callable }}",
    "tests_compare": "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 2 is eq 2 }} {{ 2 is ne(3) }} "
                     "{{ 1 is lt 2 }} {{ 'a' is in 'cat' }} {{ 2 is in items }} {{ flag is sameas true }} "
                     "{{ none is sameas none }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'upper' is filter }}",
    "tests_in": "{{ 'ell' in 'hello' }} {{ 'x' not in 'hello' }} {{ 2 in items }} {{ 'a' in d }} {{ 'z' not in d }}"
                " {{ 'tool_calls' in messages[0] }} {{ none in [none] }}",
    # string methods
    "str_methods": "{{ text.strip() }}|{{ text.lstrip() }}|{{ text.rstrip() }}|{{ 'xxhixx'.strip('x') }}|"
                   "{{ '--a--'.lstrip('-') }}|{{ '--a--'.rstrip('-') }}|{{ name.startswith('Wo') }}|"
                   "{{ name.endswith(('x', 'ld')) }}|{{ name.upper() }}|{{ name.lower() }}|{{ name.find('o') }}|"
                   "{{ uni.find('w') }}|{{ name.rfind('o') }}|{{ name.count('o') }}|{{ 'a b'.title() }}|"
                   "{{ 'ab'.capitalize() }}|{{ name.replace('o', '0') }}|{{ name.replace('o', '0', 1) }}",
    "str_split": "{{ csv.split(',') }} {{ csv.split(',', 1) }} {{ csv.rsplit(',', 1) }} {{ '  a  b c '.split() }}"
                 " {{ ' a b c '.split(none, 1) }} {{ ' a b c '.rsplit(none, 1) }} {{ 'a<think>b</think>c'.split('</think>')[-1] }}"
                 " {{ 'x\\ny\\r\\nz'.splitlines() }}",
    "str_format": "{{ '{} and {}'.format('a', 1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{k}!'.format(k=name) }}"
                  " {{ '{{literal}}'.format() }} {{ ', '.join(words) }}",
    "str_misc": "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ ' '.isspace() }} {{ 'ab'.islower() }}"
                " {{ 'x.txt'.removesuffix('.txt') }} {{ 'pre-x'.removeprefix('pre-') }}",
    # dict / list methods, indexing, slicing
    "dict_methods": "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.keys() | list }} "
                    "{{ d.values() | list }} {{ d.items() | list }} {{ d['items'] }} {{ d.items is callable }}",
    "list_methods": "{{ words.index('c') }} {{ items.count(1) }}",
    "indexing": "{{ items[0] }} {{ items[-1] }} {{ messages[1]['content'] }} {{ messages[1].content }} "
                "{{ uni[1] }} {{ uni[-1] }} {{ items.0 }} {{ nested.l[1].k }} [{{ items[10] }}] [{{ d.zz }}]",
    "slicing": "{{ items[1:] }} {{ items[:-1] }} {{ items[::-1] }} {{ items[::2] }} {{ uni[1:4] }} {{ uni[::-1] }}"
               " {{ items[5:] }} {{ items[-10:2] }} {{ 'abcdef'[4:1:-1] }} {{ (1, 2, 3)[1:] }}",
    # operators, literals, numbers
    "operators_math": "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} "
                      "{{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ x * 2 }}"
                      " {{ n + x }} {{ true + 1 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ -n }} {{ +x }}",
    "operators_logic": "{{ true and 'yes' }} {{ false or 'fallback' }} {{ empty or 'e' }} {{ not flag }} "
                       "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 'a' != 'a' }}"
                       " {{ 'y' if flag else 'n' }} [{{ 'y' if not flag }}] {{ 1 if missing else 2 }} {{ none == none }}",
    "operators_concat": "{{ 'a' ~ 1 ~ none ~ true ~ missing ~ 1.5 }} {{ 'x' + 'y' }} {{ name ~ '!' }}",
    "literals": "{{ [1, 'two', 3.0, none, true, false, True, False, None] }} {{ {'k': 'v', 'n': [1, {'z': none}]} }}"
                " {{ (1, 'a') }} {{ (1,) }} {{ () }} {{ 'esc\\'aped\\n\\t\\\\ \\u00e9 \\x41' }} {{ \"dq 'inner'\" }}"
                " {{ 0x1F }} {{ 1_000 }} {{ 1e3 }} {{ 2.5E-3 }} {{ 'adjacent' 'strings' }}",
    "numbers_print": "{% for f in floats %}{{ f }} {% endfor %}{{ big }} {{ 1 / 3 }} {{ 2 / 3 * 3 }} {{ 0.1 + 0.2 }}"
                     " {{ 1e22 }} {{ 1.5e15 }} {{ 10 ** 15 * 1.0 }} {{ 1e16 / 10 }}",
    "repr_strings": "{{ [quote] }} {{ ['it\\'s'] }} {{ {'k': 'a\"b'} }} {{ ['日本', '\\x7f\\x9f'] }}",
    "undefined_behaviour": "[{{ missing }}] [{{ missing | upper }}] [{{ missing ~ 'x' }}] {{ missing == missing }}"
                           " {{ missing | list }} {% for i in missing %}never{% endfor %}{% if not missing %}falsy{% endif %}"
                           " [{{ d.zz }}] [{{ messages[0].zz }}]",
    "globals": "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %b %j') }} {{ dict(a=1, b='x') }} {{ namespace(v=3).v }}",
    "filter_unicode_case": "{{ uni | upper }} {{ 'ÀÉÎ Ωμέγα' | lower }} {{ 'straße' | upper }} {{ 'élan vital' | capitalize }}"
                           " {{ 'élan-vital über' | title }} {{ uni.upper() }}",
    "filter_dictsort": "{{ d | dictsort }} {{ d | dictsort(reverse=true) }} {{ {'b': 'Y', 'a': 'x'} | dictsort(by='value') }}",
    "ws_mixed": "{%- if true %}\n  x\n{%- endif %}\n{% for i in items -%}\n  {{ i }}\n{%- endfor %}\n  {%- if true %} y {% endif -%}  \n z",
    "ws_inline_and_own_line": "   {% if true %}  inline  {% endif %}   \n   {{ name }}   {% if true %}\nX\n   {% endif %}\n",
    "ws_comments_minus": "{#- top -#}\n  {{- 'a' -}}\n  {# mid #}\n  {{- 'b' }}\n\n{#- x #}c",
    "precedence": "{{ 1 if false else 2 if false else 3 }} {{ -1 | abs }} {{ 2 ** 3 ** 2 }} {{ not 1 == 2 }} {{ (1, 2) == [1, 2] }}"
                  " {{ 'Hello' ~ ' ' ~ name | upper }} {{ ('a' ~ 'b') | upper }} {{ messages[1].content | length > 3 }}",
    "macro_with_loop": "{% macro m(xs) %}{% for x in xs %}{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}"
                       "[{{ m(items) }}] [{{ m(words) | upper }}]",
    "loop_filter_strip": "{%- for m in messages if m.role != 'system' -%}\n{{ loop.index }}:{{ m.role }}\n{% endfor -%}",
    "scope_if_in_loop": "{% for m in messages %}{% if loop.first %}{% set first_role = m.role %}{% endif %}{{ first_role }},{% endfor %}",
    "scope_macro": "{% macro show() %}{{ later }}{% endmacro %}{% set later = 'L' %}[{{ show() }}]"
                   "{% macro s2() %}{% set inner = 1 %}{% endmacro %}{{ s2() }}[{{ inner }}]",
    "loop_nested_index": "{% for i in [1, 2] %}{% for j in [3] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}"
                         " [{{ messages[50] }}]",
    "namespace_list": "{% set ns = namespace(items=[]) %}{% for i in range(3) %}{% set ns.items = ns.items + [i] %}{% endfor %}"
                      "{{ ns.items }} {{ 'x' * 0 }}|{{ 1.5 | int }} {{ '0x1A' | int(base=16) }} {{ '  12  ' | int }}"
                      " {{ true | int }} {{ [3, 1, 2] | sort | first }}",
    "ws_text_and_tags": "a {% if true %}b{% endif %}\n  c {% if true %}\n  d\n  {%- endif %}\n{% for x in [1] %}  {{ x }}\n{% endfor %}",
    "nested_literals": "{% set a = {'x': {'y': [10, 20]}} %}{{ a.x.y[1] }} {{ a['x']['y'][-1] }} {{ a.x.y | last }} "
                       "{{ a | tojson }} {{ a.x.keys() | list }}",
    "string_escapes": "{{ '%' }} {{ 'a\\\\b' }} {{ \"it's\" }} {{ 'tab\\there' }} {{ '\\'' }} {{ ['\\n'] }}",
    "ws_set_minus": "{%- set x = 'a' -%}\n\n   {{ x }}   \n\n{%- set y = 'b' %}\n{{ y }}\n",
    "alternation_check": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
                         "{% set sys = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% endif %}"
                         "{{ sys }}{% for message in loop_messages %}{% if (message['role'] == 'user') != "
                         "(loop.index0 % 2 == 0) %}{{ raise_exception('roles must alternate') }}{% endif %}"
                         "[INST]{{ message['content'] | trim }}[/INST]{% endfor %}",
    "raise_not_reached": "{% if false %}{{ raise_exception('never') }}{% endif %}ok",
}

BAD = {
    "unknown_filter": ("a\n{{ x | foo }}", "unknown filter 'foo'"),
    "unknown_test": ("{{ x is frobbed }}", "unknown test 'frobbed'"),
    "unclosed_for": ("a\n{% for x in y %}\nb\n", "unclosed {% for %} opened at line 2"),
    "unclosed_if": ("{% if x %}\n{% for i in y %}{% endfor %}\n\n", "unclosed {% if %} opened at line 1"),
    "unclosed_macro": ("{% macro m() %}\nbody", "unclosed {% macro %} opened at line 1"),
    "wrong_end": ("{% for x in y %}\n{% endif %}", "unexpected {% endif %}"),
    "unknown_tag": ("\n\n{% frob %}", "unknown tag 'frob'"),
    "stray_endfor": ("a\n{% endfor %}", "unknown tag 'endfor'"),
    "missing_expression": ("line1\n{% for %}", "expected a name"),
    "unterminated_tag": ("{{ x ", "unexpected end of template"),
    "unterminated_string": ("{{ 'abc }}", "unterminated string"),
    "unbalanced_paren": ("{{ (1 + 2 }}", "expected ')'"),
    "bad_character": ("\n{{ 1 $ 2 }}", "unexpected character '$'"),
    "unterminated_comment": ("a {# never closed", "missing end of comment"),
    "break_outside_loop": ("{% break %}", "outside of a loop"),
}

# Runtime failures: template renders raise; the C++ message must contain `expect`.
RUNTIME_BAD = {
    "raise_exception": ("{{ raise_exception('Only user and assistant roles are supported!') }}",
                        "raise_exception: Only user and assistant roles are supported!"),
    "raise_in_loop": ("{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('no system: ' ~ m.role) }}"
                      "{% endif %}{% endfor %}", "raise_exception: no system: system"),
    "undefined_attribute": ("{{ missing.attr }}", "'missing' is undefined"),
    "alternation_raise": ("{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
                          "{{ raise_exception('roles must alternate') }}{% endif %}{% endfor %}",
                          "raise_exception: roles must alternate"),
    "undefined_nested": ("{{ d.zz.yy }}", "'dict object' has no attribute 'zz'"),
    "add_str_int": ("\n{{ 'a' + 1 }}", "unsupported operand type(s) for +"),
    "list_append_unsafe": ("{% set l = [] %}{{ l.append(1) }}", "unsafe"),
    "tojson_undefined": ("{{ missing | tojson }}", "not JSON serializable"),
    "namespace_underscore": ("{% set ns = namespace() %}{% set ns._x = 1 %}", "underscore-prefixed"),
}


def render(source, ctx):
    return compile_template(source).render(**ctx)


def main():
    cases = []
    for case in family_cases():
        with open(os.path.join(TEMPLATES, case["template_file"]), newline="") as f:
            source = f.read()
        case["output"] = render(source, case["context"])
        # The same text through transformers' apply_chat_template path (which also aliases reasoning fields).
        ctx = dict(case["context"])
        via_transformers, _ = render_jinja_template(
            conversations=[ctx.pop("messages")], tools=ctx.pop("tools"), documents=ctx.pop("documents"),
            chat_template=source, add_generation_prompt=ctx.pop("add_generation_prompt"), **ctx)
        assert via_transformers[0] == case["output"], case["name"]
        cases.append(case)
    constructs = []
    for name, source in CONSTRUCTS.items():
        constructs.append({"name": name, "template": source, "output": render(source, CONSTRUCT_CONTEXT)})
    errors = []
    for name, (source, expect) in BAD.items():
        try:
            compile_template(source)
        except jinja2.TemplateSyntaxError as e:
            errors.append({"name": name, "template": source, "expect": expect, "line": e.lineno,
                           "jinja2_message": str(e)})
            continue
        except SyntaxError as e:  # jinja2 leaves some checks ('break' outside a loop) to Python's compiler
            errors.append({"name": name, "template": source, "expect": expect, "line": None,
                           "jinja2_message": f"SyntaxError: {e.msg}"})
            continue
        raise SystemExit(f"bad template {name!r} compiled in jinja2")
    for name, (source, expect) in RUNTIME_BAD.items():
        try:
            render(source, CONSTRUCT_CONTEXT)
        except Exception as e:  # TemplateError, UndefinedError, TypeError, SecurityError
            errors.append({"name": name, "template": source, "expect": expect, "runtime": True,
                           "jinja2_message": f"{type(e).__name__}: {e}"})
            continue
        raise SystemExit(f"runtime-bad template {name!r} rendered in jinja2")
    golden = {"now": [NOW.year, NOW.month, NOW.day, NOW.hour, NOW.minute, NOW.second],
              "construct_context": CONSTRUCT_CONTEXT, "family": cases, "construct": constructs, "error": errors}
    path = os.path.join(HERE, "jinja", "golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} family, {len(constructs)} construct, {len(errors)} error cases, "
          f"{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
