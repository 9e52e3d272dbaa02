FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango; the Noto fonts render CJK, Thai, Hebrew and Greek in PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build DEBUG=false python manage.py collectstatic --noinput \
 && SECRET_KEY=build python manage.py compile_catalogues
RUN useradd --create-home portal && chown -R portal /app
USER portal
EXPOSE 8000
CMD ["gunicorn", "partnerportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
