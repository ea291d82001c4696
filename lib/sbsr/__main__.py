"""``python -m sbsr`` lists the command-line entry points."""

print(
    "sbsr commands:\n"
    "  python -m sbsr.reproduce   run the book's notebooks headless (papermill)\n"
    "  python -m sbsr.book.build  run the notebooks, then build the HTML book\n"
    "  python -m sbsr.evaluate    rank your meshes for your sketches, acc@k with a pairs CSV; writes\n"
    "                             ranking.csv, metrics.json, report.html (--meshes DIR --sketches DIR)\n"
)
