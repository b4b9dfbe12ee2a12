"""ResultsDB API v2.0 compatible service, with pages to browse results.

``create_app(settings)`` builds the WSGI app; ``checkline resultsdb serve`` runs it under
gunicorn. Layers: ``parsers`` (request bodies and query strings, pydantic) -> ``api_v2``
(Flask routes) -> ``queries`` (SQL, pure statement builders) and ``store`` (writes) over
``schema`` (SQLAlchemy Core tables, migrated by Alembic) -> ``serializers`` (rows to the
v2.0 JSON shapes; a page is one statement, its data, groups and testcases included).
"""
