"""Summary reports of the registry: aggregates in SQL, shown as tables and SVG charts, downloadable as XLSX."""
