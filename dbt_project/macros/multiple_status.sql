{# The status of an operating multiple against the levels: the one rule of OK / WARN / BREACH / LEGAL,
   used by the daily mart and the forecast (alerts, GX and mails read the marts' status). #}
{% macro multiple_status(multiple, warn_level='warn_level', policy_limit='policy_limit', legal_limit='legal_limit') %}
    case
        when {{ multiple }} > {{ legal_limit }} then 'LEGAL'
        when {{ multiple }} > {{ policy_limit }} then 'BREACH'
        when {{ multiple }} >= {{ warn_level }} then 'WARN'
        when {{ multiple }} is not null then 'OK'
    end
{% endmacro %}
