#!/usr/bin/python3
"""Render executed notebooks to self-contained HTML pages with the project's nbconvert template.

One process for all pages: nbconvert's start-up (template discovery, CSS inlining) costs about a
second, paid once rather than per chapter. Each page is then checked with selfcontained.py, so a
page that would load anything from outside itself is reported, never shipped silently.

Usage: nbhtml.py --template-dir DIR --template NAME  < jobs.json
  jobs.json: [{"ipynb": path, "html": path, "title": text, "template"?: name,
               "maxOutputChars"?: n, "elsewhere"?: text}, ...]
  (a job's own template, such as the one-file report's fragment template, overrides --template;
  with maxOutputChars, an output larger than that is replaced by a line saying where it is)
Prints one JSON line: [{"html": path, "bytes": n, "externalLoads": [...]}, ...].
Exit 0 when every page was written (check externalLoads), 1 when a page could not be rendered.
"""
import argparse
import html
import json
import os
import sys

import nbformat
from nbconvert import HTMLExporter

from selfcontained import external_loads


def write_atomic(path, text):
    partial = f'{path}.{os.getpid()}.partial'
    with open(partial, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.replace(partial, path)


def output_chars(output):
    texts = list(output.get('data', {}).values()) + [output.get('text', '')]
    return sum(len(''.join(t) if isinstance(t, list) else str(t)) for t in texts)


def leave_out_large_outputs(nb, limit, elsewhere):
    """Replaces each output over `limit` characters by a note; the executed notebook keeps it."""
    for cell in nb.cells:
        for i, output in enumerate(cell.get('outputs', [])):
            size = output_chars(output)
            if size > limit:
                note = f'An output of {size:,} characters is left out here to keep this file small; it is in {elsewhere}.'
                cell.outputs[i] = nbformat.v4.new_output('display_data', data={'text/html': f'<p class="dl-left-out">{html.escape(note, quote=False)}</p>'})


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--template-dir', required=True)
    parser.add_argument('--template', required=True)
    args = parser.parse_args(argv)
    jobs = json.load(sys.stdin)
    exporters = {}

    def exporter_for(name):
        if name not in exporters:
            exporters[name] = HTMLExporter(template_name=name, extra_template_basedirs=[args.template_dir])
        return exporters[name]

    results = []
    for job in jobs:
        try:
            exporter = exporter_for(job.get('template', args.template))
            nb = nbformat.read(job['ipynb'], as_version=4)
            if 'maxOutputChars' in job:
                leave_out_large_outputs(nb, job['maxOutputChars'], job.get('elsewhere', 'the executed notebook'))
            nb.metadata['title'] = job['title']
            body, _resources = exporter.from_notebook_node(nb, resources={'metadata': {'name': job['title']}})
        except Exception as error:  # any failure names the page; the rest still render
            print(f'nbhtml: {job["ipynb"]}: {type(error).__name__}: {error}', file=sys.stderr)
            results.append({'html': job['html'], 'bytes': 0, 'externalLoads': [], 'error': f'{type(error).__name__}: {error}'})
            continue
        os.makedirs(os.path.dirname(os.path.abspath(job['html'])), exist_ok=True)
        write_atomic(job['html'], body)
        results.append({'html': job['html'], 'bytes': len(body.encode('utf-8')), 'externalLoads': external_loads(body)})
    print(json.dumps(results))
    return 1 if any('error' in result for result in results) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
