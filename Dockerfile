# The project's image for a server deployment (docker-compose.yml): Airflow 3 with the Celery
# provider, the project installed editable at /opt/cgf (its dags/, dbt_project/ and expectations/
# are found from there), every version from constraints.txt. No secret is baked in: every
# password and key comes from the environment at run time (.env, see .env.example).
FROM apache/airflow:3.3.2-python3.11

ENV CGF_PROJECT_DIR=/opt/cgf
USER root
RUN mkdir -p /opt/cgf && chown airflow:0 /opt/cgf
USER airflow
# new named volumes take these folders' owner and mode: the airflow user's, secrets private
RUN mkdir -p /opt/airflow/secrets /opt/airflow/cgf-state && chmod 0700 /opt/airflow/secrets

# dependencies first (a layer that survives code changes), then the code
COPY --chown=airflow:0 constraints.txt pyproject.toml README.md /opt/cgf/
COPY --chown=airflow:0 include /opt/cgf/include
RUN pip install --no-cache-dir -c /opt/cgf/constraints.txt -e /opt/cgf "apache-airflow-providers-celery"
COPY --chown=airflow:0 dags /opt/cgf/dags
COPY --chown=airflow:0 dbt_project /opt/cgf/dbt_project
COPY --chown=airflow:0 expectations /opt/cgf/expectations

WORKDIR /opt/cgf
