"""URLs of the example project; qlik-jwt's settings come from ``QLIK_*`` variables."""

from __future__ import annotations

from analytics_site.views import identify, site_urls
from qlik_jwt import Settings
from qlik_jwt.integrations.django import QlikEmbedding

urlpatterns = site_urls(QlikEmbedding(Settings.load(), identify=identify))
