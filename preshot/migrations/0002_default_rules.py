"""The shipped rules (preshot/defaults.py): every order stage and the usual contact reasons."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from preshot.defaults import default_rule_rows


def add_default_rules(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Rule = apps.get_model("preshot", "Rule")
    if not Rule.objects.exists():
        Rule.objects.bulk_create([Rule(**row) for row in default_rule_rows(with_notify=False, with_later=False)])


class Migration(migrations.Migration):
    dependencies = [("preshot", "0001_rules_and_events")]
    operations = [migrations.RunPython(add_default_rules, migrations.RunPython.noop)]
