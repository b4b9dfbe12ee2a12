#!/bin/sh
echo "hello from checkline"
