# segwise service image: `docker build -t segwise .` then
# `docker run -p 8000:8000 -v "$PWD/shop:/project" segwise` (docs/service.md).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
# A user of its own: the service never runs as root.
RUN useradd --create-home --uid 10001 segwise
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER segwise
WORKDIR /project
EXPOSE 8000
# The project (segwise.yaml, its data and store) is mounted at /project.
ENTRYPOINT ["segwise"]
CMD ["serve", "/project", "--host", "0.0.0.0", "--port", "8000"]
