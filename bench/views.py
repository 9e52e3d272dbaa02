from django.shortcuts import render


def baseline(request):
    """The most this stack can serve here: a tiny template, no database, no session."""
    return render(request, "bench/baseline.html", {"title": "Baseline", "items": range(5)})
