"""District and commune maps: boundary files read with GeoPandas, matched to administrative units,
simplified and stored; Folium choropleths and establishment points; GPS consistency checks.

Code only: boundary files a user adds live in the top-level `maps/` data folder.
"""
