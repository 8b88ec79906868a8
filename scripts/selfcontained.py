#!/usr/bin/python3
"""Find every resource an HTML file would load from outside itself.

A report page must open offline, from any folder, and make no request beyond the document.
So: no `<script src>`, `<link href>`, `<img src>`, `<iframe src>`, media sources, SVG images or
`<use>` pointing at other files, and no CSS `url()` / `@import` outside the file. `data:` URIs and
same-document fragments (`#id`, as SVG gradients use) are fine; `<a href>` is a citation, not a
load. Parsed with the standard library's HTMLParser, not regexes, so attributes are read as a
browser reads them (any quoting, any case).

Usage: selfcontained.py FILE.html... -> one JSON object on stdout: {file: [offending load, ...]}.
Importable: `external_loads(html)` returns the list for one document.
"""
import json
import re
import sys
from html.parser import HTMLParser

# Attributes that make the browser fetch something, per element ('*' = any element).
LOADING_ATTRIBUTES = {
    '*': {'src', 'srcset', 'background', 'poster', 'ping'},
    'link': {'href'},
    'base': {'href'},
    'object': {'data'},
    'image': {'href', 'xlink:href'},
    'use': {'href', 'xlink:href'},
    'feimage': {'href', 'xlink:href'},
    'script': {'href', 'xlink:href'},
}
CSS_URL = re.compile(r'url\(\s*([\'"]?)(.*?)\1\s*\)', re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r'@import\s+([^;]+)', re.IGNORECASE)
META_REFRESH_URL = re.compile(r'url\s*=\s*(\S+)', re.IGNORECASE)


def is_local(url):
    url = url.strip()
    return url.startswith('#') or url.lower().startswith('data:')


def srcset_urls(value):
    return [candidate.strip().split()[0] for candidate in value.split(',') if candidate.strip()]


def css_loads(css, where):
    found = [f'{where}: url({url})' for _quote, url in CSS_URL.findall(css) if not is_local(url)]
    found += [f'{where}: @import {target.strip()}' for target in CSS_IMPORT.findall(css)]
    return found


class ResourceScanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads = []
        self.in_style = False

    def where(self, tag):
        line, _col = self.getpos()
        return f'line {line} <{tag}>'

    def handle_starttag(self, tag, attrs):
        wanted = LOADING_ATTRIBUTES['*'] | LOADING_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if value is None:
                continue
            if name in wanted:
                urls = srcset_urls(value) if name == 'srcset' else [value]
                # An empty src still requests the document again, so it counts as a load.
                self.loads += [f'{self.where(tag)} {name}="{url}"' for url in urls if not is_local(url) or url == '']
            elif name == 'style':
                self.loads += css_loads(value, f'{self.where(tag)} style')
        if tag == 'meta':
            values = dict(attrs)
            if (values.get('http-equiv') or '').lower() == 'refresh':
                match = META_REFRESH_URL.search(values.get('content') or '')
                if match and not is_local(match.group(1)):
                    self.loads.append(f'{self.where(tag)} refresh {match.group(1)}')
        if tag == 'style':
            self.in_style = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == 'style':
            self.in_style = False

    def handle_endtag(self, tag):
        if tag == 'style':
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.loads += css_loads(data, self.where('style'))


def external_loads(html):
    """Every load the document would make from outside itself, each as a short readable string."""
    scanner = ResourceScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.loads


def main(files):
    result = {}
    for path in files:
        with open(path, encoding='utf-8') as handle:
            result[path] = external_loads(handle.read())
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
