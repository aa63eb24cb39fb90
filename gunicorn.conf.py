"""gunicorn's settings for the README's command (`gunicorn 'surveyapp:create_app()'` reads this file
from the current directory): 3 workers of 4 threads, as `make bench` measures.

The map libraries (GeoPandas with pandas and Shapely, folium) are not imported by create_app(), so
that start-up and the CLI stay fast; each worker imports them once it has started, so the first
map a worker draws does not wait for them. Class breaks need no SciPy (surveyapp/geo/classes.py).
"""
bind = "127.0.0.1:8000"
workers = 3
threads = 4
worker_class = "gthread"


def post_worker_init(worker):
    import folium  # noqa: F401
    import geopandas  # noqa: F401
