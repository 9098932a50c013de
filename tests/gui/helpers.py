"""Building test data through services (the GUI tests never touch ORM models)."""

from __future__ import annotations

from desktop_app.services import customers, items, jobs, settings
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext


def make_customer(ctx: AppContext, name: str = "Acme Homes") -> customers.CustomerDetail:
    return ctx.write(
        customers.create_customer,
        customers.CustomerFields(
            display_name=name, bill_street="1 Main St", bill_city="Reno", bill_state="NV"
        ),
    )


def make_job(ctx: AppContext, customer_id: int, amount: str = "1000") -> jobs.JobDetail:
    return ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer_id,
            name="Kitchen remodel",
            lines=(LineInput(quantity="1", description="Cabinets and labour", rate=amount, taxable=False),),
        ),
    )


def make_item(ctx: AppContext, name: str = "Labor hour", price: str = "85") -> items.ItemDetail:
    return ctx.write(items.create_item, items.ItemFields(name=name, unit_price=price, description=name))


def enable_progress(ctx: AppContext) -> None:
    ctx.write(settings.set_setting, "numbering.progress", True)
