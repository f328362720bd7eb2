"""Speed benchmark: a large community on the embedded store, measured through the WSGI app.

`python -m bench.run` (or `make bench`) builds a fresh store in a temporary directory
(`bench.data`), logs in as a clerk of the largest community and times the archive pages
(`bench.run`), counting the database queries each page makes (`bench.queries`).
"""
