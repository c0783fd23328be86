"""The monthly report (月报): its sections, charts, stored document, job and PDF."""
