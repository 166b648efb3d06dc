"""The simulation report for regulatory teams: HTML (:func:`.render.render_html`) and PDF (:func:`.pdf.render_pdf`).

Sections follow REFERENCE §5; the content is built once (:mod:`.sections`) and laid
out by each renderer, so the two formats carry the same numbers in the same order.
"""
