"""Account writes: every user is created through one of these so that role, group and unit agree."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import User
from .roles import STAFF_GROUP, UNIT_GROUP


@transaction.atomic
def user_create_staff(*, username: str, password: str, superuser: bool = False, **fields) -> User:
    user = User(username=username, is_staff=True, is_superuser=superuser, unit=None, **fields)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


@transaction.atomic
def user_create_unit_user(*, username: str, password: str, unit, **fields) -> User:
    user = User(username=username, is_staff=False, is_superuser=False, unit=unit, **fields)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=UNIT_GROUP))
    return user
